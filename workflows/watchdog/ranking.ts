import { judge, type Verdict, type WatchdogPolicy, type WindowStats } from './evaluate';
import { judgePoint } from './point-estimate';

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
 * A candidate is fit to take over when one round of probes shows no breach and nothing suspect
 * (a round is too small to prove accuracy healthy at minLabelled; it can show it is not bad).
 * Histories from before judgement by evidence replay with the point-estimate judge.
 */
function fitness(
  stats: WindowStats,
  policy: WatchdogPolicy,
  judgement: 'evidence' | 'point-estimate',
): Verdict & { fit: boolean } {
  if (judgement === 'point-estimate') {
    const verdict = judgePoint(stats, policy);
    return { ...verdict, fit: verdict.kind === 'healthy' };
  }
  const verdict = judge([stats], policy);
  return {
    ...verdict,
    fit:
      verdict.kind !== 'breach' &&
      verdict.kind !== 'no-data' &&
      !verdict.metrics?.some((m) => m.suspect) &&
      stats.requests > 0,
  };
}

/**
 * Backups best first: fit ones (judged by the same thresholds as the primary), the previous
 * stable first among those, then higher accuracy, lower p95, lower cost. The tripped model is never
 * a candidate. Unknown accuracy ranks below any measured one; unknown latency or cost above.
 */
export function rankBackups(
  candidates: BackupCandidate[],
  policy: WatchdogPolicy,
  trippedModelId: string,
  judgement: 'evidence' | 'point-estimate' = 'evidence',
): RankedCandidate[] {
  return candidates
    .filter((c) => c.modelId !== trippedModelId)
    .map((c) => {
      const verdict = fitness(c.stats, policy, judgement);
      return { ...c, healthy: verdict.fit, reason: verdict.reason };
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
export function chooseBackup(
  candidates: BackupCandidate[],
  policy: WatchdogPolicy,
  trippedModelId: string,
  judgement: 'evidence' | 'point-estimate' = 'evidence',
): RankedCandidate | undefined {
  const best = rankBackups(candidates, policy, trippedModelId, judgement)[0];
  return best?.healthy ? best : undefined;
}
