import { QueryTypes, type Sequelize } from 'sequelize';
import type { Verdict, WindowStats } from '../../workflows/watchdog/evaluate';
import type { ResumableState, RoutingSnapshot, WindowRecord } from '../../workflows/watchdog/types';

/** Judged windows are kept this long (the trace export reaches back as far). */
const WINDOW_RETENTION_DAYS = 14;

const ROUTING = `
  SELECT r.stable_deployment_id AS "stableDeploymentId", s.model_id AS "stableModelId",
         r.backup_deployment_id AS "backupDeploymentId",
         r.failover_from_deployment_id AS "failoverFromDeploymentId", f.model_id AS "failoverFromModelId"
    FROM routing r
    LEFT JOIN deployments s ON s.id = r.stable_deployment_id
    LEFT JOIN deployments f ON f.id = r.failover_from_deployment_id
   WHERE r.specialization = $1`;

const NO_ROUTING: RoutingSnapshot = {
  stableDeploymentId: null,
  stableModelId: null,
  backupDeploymentId: null,
  failoverFromDeploymentId: null,
  failoverFromModelId: null,
};

/** What the watchdog reads: routing, a deployment's live window, its model and price, backup candidates. */
/** One judged window as recorded. */
export interface RecordedWindow {
  until: Date;
  deploymentId: string;
  role: WindowRecord['role'];
  stats: WindowStats;
  verdict: Verdict['kind'];
  state: ResumableState | null;
}

/** A deployment's live requests over one window, as the watchdog reads them. */
export interface LiveWindow {
  latencies: number[];
  errors: number;
  /** Tokens the answered requests were charged for, and what they cost. */
  tokens: number;
  costDollars: number;
}

export function createWatchdogStore(sequelize: Sequelize) {
  return {
    /** One judged window, once (a retried activity finds it); older ones than the retention go. */
    async recordWindow(specialization: string, w: WindowRecord & { until: string }): Promise<void> {
      await sequelize.query(
        `INSERT INTO watchdog_windows (specialization, window_end, deployment_id, role, stats, verdict, state)
         VALUES ($1, $2, $3, $4, CAST($5 AS jsonb), $6, CAST($7 AS jsonb)) ON CONFLICT (specialization, window_end) DO NOTHING`,
        {
          bind: [
            specialization,
            w.until,
            w.deploymentId,
            w.role,
            JSON.stringify(w.stats),
            w.verdict.kind,
            w.state ? JSON.stringify(w.state) : null,
          ],
        },
      );
      await sequelize.query(
        `DELETE FROM watchdog_windows WHERE specialization = $1 AND window_end < NOW() - make_interval(days => $2)`,
        { bind: [specialization, WINDOW_RETENTION_DAYS] },
      );
    },

    /** Each specialization's newest recorded window (within a scope; undefined = all): when its watchdog last judged, and in which role. */
    async newestWindows(
      within: string[] | undefined,
    ): Promise<{ specialization: string; until: string; role: WindowRecord['role']; verdict: string }[]> {
      const rows = await sequelize.query<{
        specialization: string;
        until: Date;
        role: WindowRecord['role'];
        verdict: string;
      }>(
        `SELECT DISTINCT ON (specialization) specialization, window_end AS "until", role, verdict FROM watchdog_windows
          WHERE ($1::text[] IS NULL OR specialization = ANY($1::text[])) ORDER BY specialization, window_end DESC`,
        { bind: [within ?? null], type: QueryTypes.SELECT },
      );
      return rows.map((r) => ({ ...r, until: new Date(r.until).toISOString() }));
    },

    /** The judged windows of a specialization since `from`, oldest first. */
    async recordedWindows(
      specialization: string,
      from: Date,
    ): Promise<{ until: Date; deploymentId: string; stats: WindowStats }[]> {
      return sequelize.query<{ until: Date; deploymentId: string; stats: WindowStats }>(
        `SELECT window_end AS "until", deployment_id AS "deploymentId", stats FROM watchdog_windows
          WHERE specialization = $1 AND window_end >= $2 ORDER BY window_end LIMIT 100000`,
        { bind: [specialization, from.toISOString()], type: QueryTypes.SELECT },
      );
    },

    /**
     * What a recreated watchdog resumes from: when the specialization last switched, and the windows
     * judged since then and since `since`, newest first.
     */
    async resumeRecords(
      specialization: string,
      since: Date,
    ): Promise<{ lastSwitchAt: Date | null; windows: RecordedWindow[] }> {
      const [last] = await sequelize.query<{ at: Date | null }>(
        'SELECT max(created_at) AS at FROM model_switch_events WHERE specialization = $1',
        { bind: [specialization], type: QueryTypes.SELECT },
      );
      const lastSwitchAt = last?.at ? new Date(last.at) : null;
      const from = lastSwitchAt && lastSwitchAt > since ? lastSwitchAt : since;
      const windows = await sequelize.query<RecordedWindow>(
        `SELECT window_end AS "until", deployment_id AS "deploymentId", role, stats, verdict, state FROM watchdog_windows
          WHERE specialization = $1 AND window_end > $2 ORDER BY window_end DESC LIMIT 2000`,
        { bind: [specialization, from.toISOString()], type: QueryTypes.SELECT },
      );
      return { lastSwitchAt, windows };
    },

    async routingSnapshot(specialization: string): Promise<RoutingSnapshot> {
      return (
        (await sequelize.query<RoutingSnapshot>(ROUTING, { bind: [specialization], type: QueryTypes.SELECT }))[0] ??
        NO_ROUTING
      );
    },

    /** Latencies and errors of a deployment's live requests (probes excluded) in [from, until). */
    /**
     * A deployment's live requests in [from, until): latencies, errors, and the tokens and dollars
     * the answered ones were charged (metadata.tokens/costDollars, written by serving).
     */
    async liveWindow(deploymentId: string, from: Date, until: Date): Promise<LiveWindow> {
      const [row] = await sequelize.query<{
        latencies: number[] | null;
        errors: number;
        tokens: number | null;
        costDollars: number | null;
      }>(
        `SELECT array_agg(metric_value::float8) AS latencies,
                count(*) FILTER (WHERE (metadata->>'ok')::boolean IS NOT TRUE)::int AS errors,
                sum((metadata->>'tokens')::float8) AS tokens,
                sum((metadata->>'costDollars')::float8) AS "costDollars"
           FROM performance_metrics
          WHERE deployment_id = $1 AND metric_type = 'inference_latency_ms' AND timestamp >= $2 AND timestamp < $3
            AND metadata->>'track' IS DISTINCT FROM 'probe'`,
        { bind: [deploymentId, from.toISOString(), until.toISOString()], type: QueryTypes.SELECT },
      );
      return {
        latencies: (row?.latencies ?? []).map(Number),
        errors: row?.errors ?? 0,
        tokens: Number(row?.tokens ?? 0),
        costDollars: Number(row?.costDollars ?? 0),
      };
    },

    async modelOf(deploymentId: string): Promise<string | null> {
      const [row] = await sequelize.query<{ modelId: string }>(
        'SELECT model_id AS "modelId" FROM deployments WHERE id = $1',
        { bind: [deploymentId], type: QueryTypes.SELECT },
      );
      return row?.modelId ?? null;
    },

    /**
     * Deployments that could take over (promoted before, model not the tripped one), newest first,
     * one per model, the routing's backup (the previous stable) first.
     */
    async backupCandidates(
      specialization: string,
      excludeModelId: string,
      backupDeploymentId: string | null,
      limit: number,
    ): Promise<{ deploymentId: string; modelId: string }[]> {
      return sequelize.query<{ deploymentId: string; modelId: string }>(
        `SELECT id AS "deploymentId", model_id AS "modelId" FROM (
           SELECT DISTINCT ON (model_id) id, model_id, updated_at FROM deployments
            WHERE specialization = $1 AND status IN ('promoted', 'superseded') AND model_id <> $2
            ORDER BY model_id, (id = $3) DESC, updated_at DESC
         ) latest ORDER BY (id = $3) DESC, updated_at DESC LIMIT $4`,
        {
          bind: [specialization, excludeModelId, backupDeploymentId ?? '00000000-0000-0000-0000-000000000000', limit],
          type: QueryTypes.SELECT,
        },
      );
    },
  };
}

export type WatchdogStore = ReturnType<typeof createWatchdogStore>;
