import { log } from '@temporalio/activity';
import type { WindowStats } from '../../workflows/watchdog/evaluate';
import { percentile95 } from '../../workflows/watchdog/evidence';
import { policyFor } from '../../config/performance-thresholds';
import type { BackupCandidate } from '../../workflows/watchdog/ranking';
import type { ObservedWindow, WindowRecord } from '../../workflows/watchdog/types';
import type { ProbeClient, ProbeResult } from './probe-client';
import type { ThresholdsStore } from '../../db/stores/thresholds';
import type { LiveWindow, WatchdogStore } from '../../db/stores/watchdog';

export interface ObserveDeps {
  watchdog: WatchdogStore;
  thresholds: ThresholdsStore;
  probe: ProbeClient;
}

/** Inference rows reach the database in batches (every 0.5 s): a window ends this far in the past so none arrives after it was read. */
const WRITE_LAG_MS = 1_000;
/** Candidates probed when choosing a backup, newest first. */
const MAX_CANDIDATES = 5;
const NO_LIVE_TRAFFIC: LiveWindow = { latencies: [], errors: 0, tokens: 0, costDollars: 0 };
/** The probe endpoint's limit per call. */
export const MAX_PROBES_PER_CALL = 200;

/**
 * One window of a deployment. With enough live traffic (minRequests) the window is the live
 * traffic's, and probes add only labels (live requests carry none): probes run now, the live
 * window ended a second ago, and mixing them would smear one spike over two windows. Without enough
 * live traffic (a failed-over primary, a quiet hour, clients backing off a slow model) probes fill
 * the window up. `slow` counts requests over the p95 threshold: the evidence behind a p95 verdict.
 * The cost is measured: the dollars the window's answered requests (live and probes) were charged
 * per 1,000 of their tokens; null when nothing was answered.
 */
export function combine(
  live: LiveWindow,
  probe: ProbeResult | null,
  minRequests: number,
  p95ThresholdMs: number,
): WindowStats {
  const probed = live.latencies.length >= minRequests ? null : probe;
  const latencies = [...live.latencies, ...(probed?.latenciesMs ?? [])].sort((a, b) => a - b);
  const labelled = probe?.labelled ?? 0;
  const correct = probe?.correct ?? 0;
  return {
    requests: live.latencies.length + (probed?.requests ?? 0),
    errors: live.errors + (probed?.errors ?? 0),
    slow: latencies.filter((ms) => ms > p95ThresholdMs).length,
    p95LatencyMs: percentile95(latencies),
    labelled,
    correct,
    accuracy: labelled ? correct / labelled : null,
    costPer1kTokens: costPer1k(live.tokens + (probe?.tokens ?? 0), live.costDollars + (probe?.costDollars ?? 0)),
  };
}

const costPer1k = (tokens: number, dollars: number) => (tokens > 0 ? (dollars / tokens) * 1_000 : null);

/** A round of extra probes as window counts (all of it is evidence: errors, latency, labels). */
export function probeCounts(probe: ProbeResult, p95ThresholdMs: number): WindowStats {
  return {
    requests: probe.requests,
    errors: probe.errors,
    slow: probe.latenciesMs.filter((ms) => ms > p95ThresholdMs).length,
    p95LatencyMs: percentile95(probe.latenciesMs),
    labelled: probe.labelled,
    correct: probe.correct,
    accuracy: probe.accuracy,
    costPer1kTokens: costPer1k(probe.tokens, probe.costDollars),
  };
}

export function createObserveActivities({ watchdog, thresholds: thresholdsStore, probe }: ObserveDeps) {
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
    async observeWindow(p: {
      specialization: string;
      primaryDeploymentId: string | null;
      from: string | null;
      windowSeconds: number;
      probeExamples: number;
      previous?: WindowRecord;
    }): Promise<ObservedWindow> {
      // The window judged last, with the counts it was judged on: what the trace export replays.
      if (p.previous?.until) await watchdog.recordWindow(p.specialization, { ...p.previous, until: p.previous.until });
      const thresholds = await thresholdsStore.current();
      const policy = policyFor(thresholds.thresholds, p.specialization);
      const routing = await watchdog.routingSnapshot(p.specialization);
      const until = new Date(Date.now() - WRITE_LAG_MS);
      const earliest = until.getTime() - 2 * p.windowSeconds * 1_000;
      const from = new Date(
        Math.max(p.from ? Date.parse(p.from) : until.getTime() - p.windowSeconds * 1_000, earliest),
      );
      const base = { until: until.toISOString(), thresholdsVersion: thresholds.version, policy, routing };
      const deploymentId = p.primaryDeploymentId ?? routing.stableDeploymentId;
      if (!deploymentId) return { ...base, primary: null };
      const [live, modelId] = await Promise.all([
        watchdog.liveWindow(deploymentId, from, until),
        watchdog.modelOf(deploymentId),
      ]);
      if (!modelId) return { ...base, primary: null };
      // Short of live traffic, probes fill the window up to minRequests: a window is never a shrug.
      const probed = await tryProbe(
        deploymentId,
        Math.min(MAX_PROBES_PER_CALL, Math.max(p.probeExamples, policy.minRequests - live.latencies.length)),
      );
      return {
        ...base,
        primary: {
          deploymentId,
          modelId,
          stats: combine(live, probed, policy.minRequests, policy.thresholds.p95LatencyMs),
        },
      };
    },

    /** A round of extra probes of one deployment, asked for when the evidence is inconclusive but suspect. */
    async probeDeployment(p: {
      deploymentId: string;
      examples: number;
      p95ThresholdMs: number;
    }): Promise<WindowStats | null> {
      const probed = await tryProbe(p.deploymentId, Math.min(MAX_PROBES_PER_CALL, p.examples));
      return probed ? probeCounts(probed, p.p95ThresholdMs) : null;
    },

    /**
     * Deployments that could take over (promoted before, model not the tripped one), each probed
     * with `examples` requests. The routing's backup (the previous stable) is marked.
     */
    async probeBackupCandidates(p: {
      specialization: string;
      excludeModelId: string;
      examples: number;
      p95ThresholdMs: number;
    }): Promise<BackupCandidate[]> {
      const routing = await watchdog.routingSnapshot(p.specialization);
      const rows = await watchdog.backupCandidates(
        p.specialization,
        p.excludeModelId,
        routing.backupDeploymentId,
        MAX_CANDIDATES,
      );
      return Promise.all(
        rows.map(async (c) => {
          const probed = await tryProbe(c.deploymentId, p.examples);
          return {
            ...c,
            previousStable: c.deploymentId === routing.backupDeploymentId,
            stats: combine(NO_LIVE_TRAFFIC, probed, Infinity, p.p95ThresholdMs),
          };
        }),
      );
    },
  };
}
