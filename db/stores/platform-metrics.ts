import { QueryTypes, type Sequelize } from 'sequelize';

/** One metric read from the database at scrape time: each row gives its labels and `value`. */
export interface DbMetric {
  kind: 'counter' | 'gauge';
  name: string;
  help: string;
  labelNames: string[];
  /** Returns rows with one column per label and a numeric `value`. */
  sql: string;
}

/**
 * What the platform did, read from the database at scrape time: the worker and the API write the
 * rows, so any API replica reports the same numbers, and nothing is lost when a process restarts.
 * Counters count rows that never leave their state (ended jobs, switch events); labels are
 * specializations, statuses and routed models only (bounded sets).
 */
export const DB_METRICS: DbMetric[] = [
  {
    kind: 'counter',
    name: 'neuroweaver_training_jobs_total',
    help: 'Training jobs that ended, by status and specialization',
    labelNames: ['status', 'specialization'],
    sql: `SELECT status, COALESCE(specialization, 'unknown') AS specialization, count(*)::int AS value
            FROM training_jobs WHERE status IN ('completed', 'failed', 'cancelled') GROUP BY 1, 2`,
  },
  {
    kind: 'gauge',
    name: 'neuroweaver_training_jobs_awaiting_start',
    help: 'Training jobs accepted whose workflow Temporal has not taken yet (slow, down, or refusing it)',
    labelNames: [],
    sql: `SELECT count(*)::int AS value FROM training_jobs
            WHERE workflow_started_at IS NULL AND status = 'pending' AND workflow_start IS NOT NULL`,
  },
  {
    kind: 'counter',
    name: 'model_deployments_total',
    help: 'Deployments that ended, by outcome (promoted counts every deployment that ever went live)',
    labelNames: ['outcome', 'specialization'],
    sql: `SELECT CASE WHEN deployed_at IS NOT NULL THEN 'promoted' ELSE status END AS outcome, COALESCE(specialization, 'unknown') AS specialization, count(*)::int AS value
            FROM deployments WHERE deployed_at IS NOT NULL OR status IN ('rolled_back', 'aborted', 'failed') GROUP BY 1, 2`,
  },
  {
    kind: 'counter',
    name: 'neuroweaver_model_switches_total',
    help: 'Watchdog routing switches (switch to a backup, rollback to the primary)',
    labelNames: ['specialization', 'action'],
    sql: 'SELECT specialization, action, count(*)::int AS value FROM model_switch_events GROUP BY 1, 2',
  },
  {
    kind: 'gauge',
    name: 'neuroweaver_alerts_open',
    help: 'Open (firing or acknowledged) alerts, by class and severity',
    labelNames: ['alert_class', 'severity', 'specialization'],
    sql: `SELECT alert_class, severity, specialization, count(*)::int AS value FROM performance_alerts WHERE status <> 'resolved' GROUP BY 1, 2, 3`,
  },
  {
    kind: 'gauge',
    name: 'neuroweaver_active_models',
    help: 'Number of active deployed models (routed as stable or canary)',
    labelNames: [],
    sql: 'SELECT count(DISTINCT d.model_id)::int AS value FROM routing r JOIN deployments d ON d.id IN (r.stable_deployment_id, r.canary_deployment_id)',
  },
  {
    kind: 'gauge',
    name: 'neuroweaver_model_accuracy',
    help: 'Holdout accuracy of each routed model (from its training evaluation)',
    labelNames: ['model_id', 'specialization', 'role'],
    sql: `SELECT d.model_id AS model_id, r.specialization, t.role, (m.performance_metrics->>'holdoutAccuracy')::float AS value
            FROM routing r
            CROSS JOIN LATERAL (VALUES ('stable', r.stable_deployment_id), ('canary', r.canary_deployment_id), ('backup', r.backup_deployment_id)) AS t(role, deployment_id)
            JOIN deployments d ON d.id = t.deployment_id JOIN models m ON m.id = d.model_id
           WHERE m.performance_metrics->>'holdoutAccuracy' IS NOT NULL`,
  },
  {
    kind: 'gauge',
    name: 'neuroweaver_routing_info',
    help: 'Which model serves each specialization (failed_over="true" while a watchdog failover serves the backup)',
    labelNames: ['specialization', 'model_id', 'failed_over'],
    sql: `SELECT r.specialization, d.model_id AS model_id, (r.failover_from_deployment_id IS NOT NULL)::text AS failed_over, 1 AS value
            FROM routing r JOIN deployments d ON d.id = r.stable_deployment_id`,
  },
];

/** The platform's metrics as SQL, read at scrape time, and the connection pool's use. */
export function createPlatformMetricsStore(sequelize: Sequelize) {
  return {
    definitions: DB_METRICS,
    read: (metric: DbMetric): Promise<Record<string, unknown>[]> =>
      sequelize.query<Record<string, unknown>>(metric.sql, { type: QueryTypes.SELECT }),
    connectionsInUse: (): number =>
      (sequelize.connectionManager as unknown as { pool?: { using?: number } }).pool?.using ?? 0,
    /** One round trip: what /health/detailed reports as the database's health. */
    ping: async (): Promise<void> => {
      await sequelize.query('SELECT 1');
    },
  };
}

export type PlatformMetricsStore = ReturnType<typeof createPlatformMetricsStore>;
