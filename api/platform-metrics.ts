import { Counter, Gauge, type Registry } from 'prom-client';
import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * What the platform did, read from the database at scrape time: the worker and the API write the
 * rows, so any API replica reports the same numbers, and nothing is lost when a process restarts.
 * Counters count rows that never leave their state (ended jobs, switch events); labels are
 * specializations, statuses and routed models only (bounded sets).
 */
export function registerPlatformMetrics(registry: Registry, sequelize: Sequelize): void {
  const rows = <T extends object>(sql: string) => sequelize.query<T>(sql, { type: QueryTypes.SELECT });
  // A scrape while the database is down keeps the last values instead of failing /metrics.
  const refresh = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch {
      // reported by /health/detailed and database_connections_active
    }
  };

  new Counter({
    name: 'neuroweaver_training_jobs_total',
    help: 'Training jobs that ended, by status and specialization',
    labelNames: ['status', 'specialization'] as const,
    registers: [registry],
    async collect() {
      await refresh(async () => {
        const counts = await rows<{ status: string; specialization: string | null; n: number }>(
          `SELECT status, specialization, count(*)::int AS n FROM training_jobs WHERE status IN ('completed', 'failed', 'cancelled') GROUP BY 1, 2`,
        );
        this.reset();
        for (const c of counts) this.inc({ status: c.status, specialization: c.specialization ?? 'unknown' }, c.n);
      });
    },
  });

  new Counter({
    name: 'model_deployments_total',
    help: 'Deployments that ended, by outcome (promoted counts every deployment that ever went live)',
    labelNames: ['outcome', 'specialization'] as const,
    registers: [registry],
    async collect() {
      await refresh(async () => {
        const counts = await rows<{ outcome: string; specialization: string | null; n: number }>(
          `SELECT CASE WHEN deployed_at IS NOT NULL THEN 'promoted' ELSE status END AS outcome, specialization, count(*)::int AS n
             FROM deployments WHERE deployed_at IS NOT NULL OR status IN ('rolled_back', 'aborted', 'failed') GROUP BY 1, 2`,
        );
        this.reset();
        for (const c of counts) this.inc({ outcome: c.outcome, specialization: c.specialization ?? 'unknown' }, c.n);
      });
    },
  });

  new Counter({
    name: 'neuroweaver_model_switches_total',
    help: 'Watchdog routing switches (switch to a backup, rollback to the primary)',
    labelNames: ['specialization', 'action'] as const,
    registers: [registry],
    async collect() {
      await refresh(async () => {
        const counts = await rows<{ specialization: string; action: string; n: number }>('SELECT specialization, action, count(*)::int AS n FROM model_switch_events GROUP BY 1, 2');
        this.reset();
        for (const c of counts) this.inc({ specialization: c.specialization, action: c.action }, c.n);
      });
    },
  });

  new Gauge({
    name: 'neuroweaver_alerts_open',
    help: 'Open (firing or acknowledged) watchdog alerts, by class and severity',
    labelNames: ['alert_class', 'severity', 'specialization'] as const,
    registers: [registry],
    async collect() {
      await refresh(async () => {
        const counts = await rows<{ alertClass: string; severity: string; specialization: string; n: number }>(
          `SELECT alert_class AS "alertClass", severity, specialization, count(*)::int AS n FROM performance_alerts WHERE status <> 'resolved' GROUP BY 1, 2, 3`,
        );
        this.reset();
        for (const c of counts) this.set({ alert_class: c.alertClass, severity: c.severity, specialization: c.specialization }, c.n);
      });
    },
  });

  new Gauge({
    name: 'neuroweaver_active_models',
    help: 'Number of active deployed models (routed as stable or canary)',
    registers: [registry],
    async collect() {
      await refresh(async () => {
        const [r] = await rows<{ n: number }>(
          `SELECT count(DISTINCT d.model_id)::int AS n FROM routing r JOIN deployments d ON d.id IN (r.stable_deployment_id, r.canary_deployment_id)`,
        );
        this.set(r?.n ?? 0);
      });
    },
  });

  new Gauge({
    name: 'neuroweaver_model_accuracy',
    help: 'Holdout accuracy of each routed model (from its training evaluation)',
    labelNames: ['model_id', 'specialization', 'role'] as const,
    registers: [registry],
    async collect() {
      await refresh(async () => {
        const models = await rows<{ modelId: string; specialization: string; role: string; accuracy: number | null }>(
          `SELECT d.model_id AS "modelId", r.specialization, t.role, (m.performance_metrics->>'holdoutAccuracy')::float AS accuracy
             FROM routing r
             CROSS JOIN LATERAL (VALUES ('stable', r.stable_deployment_id), ('canary', r.canary_deployment_id), ('backup', r.backup_deployment_id)) AS t(role, deployment_id)
             JOIN deployments d ON d.id = t.deployment_id JOIN models m ON m.id = d.model_id`,
        );
        this.reset();
        for (const m of models) if (m.accuracy !== null) this.set({ model_id: m.modelId, specialization: m.specialization, role: m.role }, m.accuracy);
      });
    },
  });

  new Gauge({
    name: 'neuroweaver_routing_info',
    help: 'Which model serves each specialization (1 for the serving stable; failed_over="true" while a watchdog failover serves the backup)',
    labelNames: ['specialization', 'model_id', 'failed_over'] as const,
    registers: [registry],
    async collect() {
      await refresh(async () => {
        const routed = await rows<{ specialization: string; modelId: string; failedOver: boolean }>(
          `SELECT r.specialization, d.model_id AS "modelId", r.failover_from_deployment_id IS NOT NULL AS "failedOver" FROM routing r JOIN deployments d ON d.id = r.stable_deployment_id`,
        );
        this.reset();
        for (const r of routed) this.set({ specialization: r.specialization, model_id: r.modelId, failed_over: String(r.failedOver) }, 1);
      });
    },
  });

  new Gauge({
    name: 'database_connections_active',
    help: 'Database connections of this process in use',
    registers: [registry],
    collect() {
      const pool = (sequelize.connectionManager as unknown as { pool?: { using?: number } }).pool;
      this.set(pool?.using ?? 0);
    },
  });
}
