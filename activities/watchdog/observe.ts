import { log } from '@temporalio/activity';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { WindowStats } from '../../workflows/watchdog/evaluate';
import { policyFor } from '../../workflows/watchdog/policy';
import type { BackupCandidate } from '../../workflows/watchdog/ranking';
import type { ObservedWindow, RoutingSnapshot } from '../../workflows/watchdog/types';
import type { ProbeClient, ProbeResult } from './probe-client';
import type { ThresholdsStore } from '../../db/stores/thresholds';

export interface ObserveDeps {
  sequelize: Sequelize;
  thresholds: ThresholdsStore;
  probe: ProbeClient;
}

/** Inference rows reach the database in batches (every 0.5 s): a window ends this far in the past so none arrives after it was read. */
const WRITE_LAG_MS = 1_000;
/** Candidates probed when choosing a backup, newest first. */
const MAX_CANDIDATES = 5;

const ROUTING = `
  SELECT r.stable_deployment_id AS "stableDeploymentId", s.model_id AS "stableModelId",
         r.backup_deployment_id AS "backupDeploymentId",
         r.failover_from_deployment_id AS "failoverFromDeploymentId", f.model_id AS "failoverFromModelId"
    FROM routing r
    LEFT JOIN deployments s ON s.id = r.stable_deployment_id
    LEFT JOIN deployments f ON f.id = r.failover_from_deployment_id
   WHERE r.specialization = $1`;

const NO_ROUTING: RoutingSnapshot = { stableDeploymentId: null, stableModelId: null, backupDeploymentId: null, failoverFromDeploymentId: null, failoverFromModelId: null };

function percentile95(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * 0.95;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return Math.round((sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)) * 1_000) / 1_000;
}

/**
 * One window of a deployment. With enough live traffic (minRequests) the window is the live
 * traffic's, and probes add only accuracy (live requests carry no labels): probes run now, the live
 * window ended a second ago, and mixing them would smear one spike over two windows. Without enough
 * live traffic (a failed-over primary, a quiet hour) probes are the traffic.
 */
export function combine(live: { latencies: number[]; errors: number }, probe: ProbeResult | null, costPer1kTokens: number | null, minRequests: number): WindowStats {
  const probed = live.latencies.length >= minRequests ? null : probe;
  const latencies = [...live.latencies, ...(probed?.latenciesMs ?? [])].sort((a, b) => a - b);
  return {
    requests: live.latencies.length + (probed?.requests ?? 0),
    errors: live.errors + (probed?.errors ?? 0),
    p95LatencyMs: percentile95(latencies),
    accuracy: probe?.accuracy ?? null,
    costPer1kTokens,
  };
}

export function createObserveActivities({ sequelize, thresholds: thresholdsStore, probe }: ObserveDeps) {
  const routingOf = async (specialization: string): Promise<RoutingSnapshot> =>
    (await sequelize.query<RoutingSnapshot>(ROUTING, { bind: [specialization], type: QueryTypes.SELECT }))[0] ?? NO_ROUTING;

  const liveWindow = async (deploymentId: string, from: Date, until: Date) => {
    const [row] = await sequelize.query<{ latencies: number[] | null; errors: number }>(
      `SELECT array_agg(metric_value::float8) AS latencies,
              count(*) FILTER (WHERE (metadata->>'ok')::boolean IS NOT TRUE)::int AS errors
         FROM performance_metrics
        WHERE deployment_id = $1 AND metric_type = 'inference_latency_ms' AND timestamp >= $2 AND timestamp < $3
          AND metadata->>'track' IS DISTINCT FROM 'probe'`,
      { bind: [deploymentId, from.toISOString(), until.toISOString()], type: QueryTypes.SELECT },
    );
    return { latencies: (row?.latencies ?? []).map(Number), errors: row?.errors ?? 0 };
  };

  const costOf = async (deploymentId: string): Promise<number | null> => {
    const [row] = await sequelize.query<{ cost: string | null }>(
      `SELECT m.config->>'costPer1kTokens' AS cost FROM deployments d JOIN models m ON m.id = d.model_id WHERE d.id = $1`,
      { bind: [deploymentId], type: QueryTypes.SELECT },
    );
    const cost = row?.cost === null || row?.cost === undefined ? NaN : Number(row.cost);
    return Number.isFinite(cost) ? cost : null;
  };

  /** A probe that fails (API down, model gone) leaves the window to live traffic; it is not an error of the model. */
  const tryProbe = async (deploymentId: string, examples: number): Promise<ProbeResult | null> => {
    if (examples <= 0) return null;
    try {
      return await probe(deploymentId, examples);
    } catch (err) {
      log.warn('watchdog probe failed', { deploymentId, error: (err as Error).message });
      return null;
    }
  };

  return {
    /**
     * The primary's window [from, now - lag): its live requests, plus `probeExamples` probes, with
     * the thresholds in force and the routing as it is now. The first window (no `from`) is one
     * interval long; a window never reaches back more than two intervals (after a pause).
     */
    async observeWindow(p: { specialization: string; primaryDeploymentId: string | null; from: string | null; windowSeconds: number; probeExamples: number }): Promise<ObservedWindow> {
      const thresholds = await thresholdsStore.current();
      const policy = policyFor(thresholds.thresholds, p.specialization);
      const routing = await routingOf(p.specialization);
      const until = new Date(Date.now() - WRITE_LAG_MS);
      const earliest = until.getTime() - 2 * p.windowSeconds * 1_000;
      const from = new Date(Math.max(p.from ? Date.parse(p.from) : until.getTime() - p.windowSeconds * 1_000, earliest));
      const base = { until: until.toISOString(), thresholdsVersion: thresholds.version, policy, routing };
      const deploymentId = p.primaryDeploymentId ?? routing.stableDeploymentId;
      if (!deploymentId) return { ...base, primary: null };
      const [live, probed, cost, [model]] = await Promise.all([
        liveWindow(deploymentId, from, until),
        tryProbe(deploymentId, p.probeExamples),
        costOf(deploymentId),
        sequelize.query<{ modelId: string }>('SELECT model_id AS "modelId" FROM deployments WHERE id = $1', { bind: [deploymentId], type: QueryTypes.SELECT }),
      ]);
      if (!model) return { ...base, primary: null };
      return { ...base, primary: { deploymentId, modelId: model.modelId, stats: combine(live, probed, cost, policy.minRequests) } };
    },

    /**
     * Deployments that could take over (promoted before, model not the tripped one), each probed
     * with `examples` requests. The routing's backup (the previous stable) is marked.
     */
    async probeBackupCandidates(p: { specialization: string; excludeModelId: string; examples: number }): Promise<BackupCandidate[]> {
      const routing = await routingOf(p.specialization);
      const rows = await sequelize.query<{ deploymentId: string; modelId: string }>(
        `SELECT id AS "deploymentId", model_id AS "modelId" FROM (
           SELECT DISTINCT ON (model_id) id, model_id, updated_at FROM deployments
            WHERE specialization = $1 AND status IN ('promoted', 'superseded') AND model_id <> $2
            ORDER BY model_id, (id = $3) DESC, updated_at DESC
         ) latest ORDER BY (id = $3) DESC, updated_at DESC LIMIT ${MAX_CANDIDATES}`,
        { bind: [p.specialization, p.excludeModelId, routing.backupDeploymentId ?? '00000000-0000-0000-0000-000000000000'], type: QueryTypes.SELECT },
      );
      return Promise.all(
        rows.map(async (c) => {
          const [probed, cost] = await Promise.all([tryProbe(c.deploymentId, p.examples), costOf(c.deploymentId)]);
          return { ...c, previousStable: c.deploymentId === routing.backupDeploymentId, stats: combine({ latencies: [], errors: 0 }, probed, cost, Infinity) };
        }),
      );
    },
  };
}
