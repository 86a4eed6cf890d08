import { QueryTypes, type Sequelize } from 'sequelize';

/** One window of one deployment's served requests, as the trace export shows it. */
export interface DeploymentWindow {
  /** Index of the window since `from`. */
  bucket: number;
  deploymentId: string;
  requests: number;
  errors: number;
  p95: number | null;
}

/** `performance_metrics` as the API reads it back (inference writes it in batches: api/inference/metric-writer.ts). */
export function createMetricsStore(sequelize: Sequelize) {
  return {
    /** The deployment that is the specialization's primary: the one a failover switched away from, else the stable one. */
    async primaryDeployment(specialization: string): Promise<string | null> {
      const [routing] = await sequelize.query<{ primary: string | null }>(
        'SELECT COALESCE(failover_from_deployment_id, stable_deployment_id) AS "primary" FROM routing WHERE specialization = $1',
        { bind: [specialization], type: QueryTypes.SELECT },
      );
      return routing?.primary ?? null;
    },

    /** Served requests of a specialization since `from`, per deployment and window of `windowSeconds`. */
    async windows(specialization: string, from: Date, windowSeconds: number): Promise<DeploymentWindow[]> {
      return sequelize.query<DeploymentWindow>(
        `SELECT floor(extract(epoch FROM (timestamp - CAST($2 AS timestamptz))) / $3)::int AS bucket, deployment_id AS "deploymentId",
                count(*)::int AS requests, count(*) FILTER (WHERE (metadata->>'ok')::boolean IS NOT TRUE)::int AS errors,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY metric_value)::float AS p95
           FROM performance_metrics
          WHERE metric_type = 'inference_latency_ms' AND metadata->>'specialization' = $1 AND timestamp >= $2 AND deployment_id IS NOT NULL
          GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 100000`,
        { bind: [specialization, from.toISOString(), windowSeconds], type: QueryTypes.SELECT },
      );
    },
  };
}

export type MetricsStore = ReturnType<typeof createMetricsStore>;
