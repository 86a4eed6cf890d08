/**
 * The judge before judgement by evidence: each window on its point estimates, a switch after
 * `breachesToTrip` breaching windows in a row. Kept for two readers: workflow histories recorded
 * before the `evidence-judgement` patch replay through it, and the bench sets it beside the
 * evidence judge so the difference stays measured.
 */
import {
  countVerdict,
  type StepDecision,
  type Verdict,
  type WatchdogPolicy,
  type WatchdogState,
  type WindowStats,
} from './evaluate';

/** A window breaches when it has data and any threshold is violated; each violation is named with its number. */
export function judgePoint(w: WindowStats, policy: WatchdogPolicy): Verdict {
  if (w.requests < policy.minRequests)
    return { kind: 'no-data', reason: `${w.requests} requests < ${policy.minRequests}` };
  const t = policy.thresholds;
  const errorRate = w.errors / w.requests;
  const violations: string[] = [];
  if (w.p95LatencyMs !== null && w.p95LatencyMs > t.p95LatencyMs)
    violations.push(`p95 ${w.p95LatencyMs} ms > ${t.p95LatencyMs} ms`);
  if (errorRate > t.errorRate)
    violations.push(`error rate ${(errorRate * 100).toFixed(1)}% > ${(t.errorRate * 100).toFixed(1)}%`);
  if (w.accuracy !== null && w.accuracy < t.minAccuracy) violations.push(`accuracy ${w.accuracy} < ${t.minAccuracy}`);
  if (w.costPer1kTokens !== null && w.costPer1kTokens > t.maxCostPer1kTokens)
    violations.push(`cost ${w.costPer1kTokens}/1k tokens > ${t.maxCostPer1kTokens}`);
  return violations.length
    ? { kind: 'breach', reason: violations.join('; ') }
    : { kind: 'healthy', reason: `${w.requests} requests within thresholds` };
}

/**
 * One evaluation of the primary's window at time `t` (seconds). While the primary serves, breaches
 * are counted; while the backup serves, the primary is watched on probe traffic and healthy windows
 * are counted. "No data" leaves both streaks as they are. Cooldown delays a switch, it does not
 * forget the streak.
 */
export function stepPoint(
  state: WatchdogState,
  primary: WindowStats,
  t: number,
  policy: WatchdogPolicy,
): { state: WatchdogState; verdict: Verdict; decision?: StepDecision } {
  const verdict = judgePoint(primary, policy);
  const next = countVerdict(state, verdict.kind);
  const cool = t >= state.cooldownUntil;
  if (state.serving === 'primary' && next.breachStreak >= policy.breachesToTrip && cool) {
    const reason = `${next.breachStreak} breaching windows in a row (${verdict.reason})`;
    return {
      state: { serving: 'backup', breachStreak: 0, healthyStreak: 0, cooldownUntil: t + policy.cooldownSeconds },
      verdict,
      decision: { t, action: 'switch', reason },
    };
  }
  if (state.serving === 'backup' && policy.autoRollback && next.healthyStreak >= policy.healthyToRecover && cool) {
    const reason = `primary healthy for ${next.healthyStreak} windows in a row`;
    return {
      state: { serving: 'primary', breachStreak: 0, healthyStreak: 0, cooldownUntil: t + policy.cooldownSeconds },
      verdict,
      decision: { t, action: 'rollback', reason },
    };
  }
  return { state: next, verdict };
}
