import { judge, type WatchdogPolicy, type WindowStats } from './evaluate';

/** A deployment that could take over a specialization's traffic, with what a probe just measured. */
export interface BackupCandidate {
  deploymentId: string;
  modelId: string;
  /** The routing's remembered backup: the stable before the current one. */
  previousStable: boolean;
  stats: WindowStats;
}

export interface RankedCandidate extends BackupCandidate {
  healthy: boolean;
  reason: string;
}

const orNull = (v: number | null, missing: number) => (v === null ? missing : v);

/**
 * Backups best first: healthy ones (judged by the same thresholds as the primary), the previous
 * stable first among those, then higher accuracy, lower p95, lower cost. The tripped model is never
 * a candidate. Unknown accuracy ranks below any measured one; unknown latency or cost above.
 */
export function rankBackups(candidates: BackupCandidate[], policy: WatchdogPolicy, trippedModelId: string): RankedCandidate[] {
  return candidates
    .filter((c) => c.modelId !== trippedModelId)
    .map((c) => {
      const verdict = judge(c.stats, policy);
      return { ...c, healthy: verdict.kind === 'healthy', reason: verdict.reason };
    })
    .sort(
      (a, b) =>
        Number(b.healthy) - Number(a.healthy) ||
        Number(b.previousStable) - Number(a.previousStable) ||
        orNull(b.stats.accuracy, -1) - orNull(a.stats.accuracy, -1) ||
        orNull(a.stats.p95LatencyMs, Infinity) - orNull(b.stats.p95LatencyMs, Infinity) ||
        orNull(a.stats.costPer1kTokens, Infinity) - orNull(b.stats.costPer1kTokens, Infinity),
    );
}

/** The backup to switch to: the best healthy candidate, or none. */
export function chooseBackup(candidates: BackupCandidate[], policy: WatchdogPolicy, trippedModelId: string): RankedCandidate | undefined {
  const best = rankBackups(candidates, policy, trippedModelId)[0];
  return best?.healthy ? best : undefined;
}
