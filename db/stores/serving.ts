import { QueryTypes, type Sequelize } from 'sequelize';

/** The model behind a deployment, as serving loads it. */
export interface ModelRow {
  modelId: string;
  modelName: string;
  version: string;
  modelPath: string | null;
  /** The SHA-256 of the file at modelPath, when recorded: caches name their copy by it. */
  artifactSha256: string | null;
  manifestPath: string | null;
  /** The price per 1,000 tokens its registry entry declares (`config.costPer1kTokens`), if it declares one. */
  costPer1kTokens: number | null;
}

export type RoutedTrack = 'stable' | 'canary' | 'backup';

/** One row per (routing row, track): the deployment and model behind each of stable, canary and backup. */
export type RoutingRow = {
  specialization: string;
  canaryWeight: number;
  track: RoutedTrack;
  deploymentId: string | null;
} & (ModelRow | { [K in keyof ModelRow]: null });

/** One observation of a served request, written in batches (api/inference/metric-writer.ts). */
export interface MetricRow {
  modelId: string;
  deploymentId: string;
  metricType: string;
  metricValue: number;
  timestamp: Date;
  metadata: Record<string, unknown>;
}

const ROUTING_TABLE = `
  SELECT r.specialization, r.canary_weight AS "canaryWeight", t.track,
         d.id AS "deploymentId", m.id AS "modelId", m.name AS "modelName", m.version,
         m.model_path AS "modelPath", m.artifact_sha256 AS "artifactSha256", m.config->>'manifestPath' AS "manifestPath",
         CASE WHEN jsonb_typeof(m.config->'costPer1kTokens') = 'number' THEN (m.config->>'costPer1kTokens')::float8 END AS "costPer1kTokens"
  FROM routing r
  CROSS JOIN LATERAL (VALUES ('stable', r.stable_deployment_id), ('canary', r.canary_deployment_id), ('backup', r.backup_deployment_id)) AS t(track, deployment_id)
  LEFT JOIN deployments d ON d.id = t.deployment_id
  LEFT JOIN models m ON m.id = d.model_id`;

/** What inference serving reads (the routing table, a deployment's model) and writes (its metrics). */
export function createServingStore(sequelize: Sequelize) {
  return {
    /** The whole routing table in one query: serving polls it. */
    routingTable: (): Promise<RoutingRow[]> => sequelize.query<RoutingRow>(ROUTING_TABLE, { type: QueryTypes.SELECT }),

    async deploymentModel(
      deploymentId: string,
    ): Promise<(ModelRow & { specialization: string; dataset: string | null }) | undefined> {
      const [row] = await sequelize.query<ModelRow & { specialization: string; dataset: string | null }>(
        `SELECT d.specialization, m.id AS "modelId", m.name AS "modelName", m.version, m.model_path AS "modelPath", m.artifact_sha256 AS "artifactSha256",
                m.config->>'manifestPath' AS "manifestPath", m.config->>'dataset' AS dataset,
                CASE WHEN jsonb_typeof(m.config->'costPer1kTokens') = 'number' THEN (m.config->>'costPer1kTokens')::float8 END AS "costPer1kTokens"
           FROM deployments d JOIN models m ON m.id = d.model_id WHERE d.id = $1`,
        { bind: [deploymentId], type: QueryTypes.SELECT },
      );
      return row;
    },

    /** Whether any model was ever registered for the specialization (404 vs 503 when nothing serves it). */
    async specializationKnown(specialization: string): Promise<boolean> {
      return (
        (
          await sequelize.query('SELECT 1 FROM models WHERE specialization = $1 LIMIT 1', {
            bind: [specialization],
            type: QueryTypes.SELECT,
          })
        ).length > 0
      );
    },

    /** One multi-row INSERT per batch. */
    async insertMetrics(rows: MetricRow[]): Promise<void> {
      const bind: unknown[] = [];
      const values = rows.map((r) => {
        bind.push(r.modelId, r.deploymentId, r.metricType, r.metricValue, r.timestamp, JSON.stringify(r.metadata));
        const n = bind.length;
        return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n}::jsonb)`;
      });
      await sequelize.query(
        `INSERT INTO performance_metrics (model_id, deployment_id, metric_type, metric_value, timestamp, metadata) VALUES ${values.join(', ')}`,
        { bind },
      );
    },
  };
}

export type ServingStore = ReturnType<typeof createServingStore>;
