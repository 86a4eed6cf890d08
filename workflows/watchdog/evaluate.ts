/**
 * The watchdog's decisions as a pure function of the windows it sees (no I/O, no clock): the
 * workflow, the backtest CLI and the unit tests all run this same code.
 */

export interface Thresholds {
  p95LatencyMs: number;
  errorRate: number;
  minAccuracy: number;
  maxCostPer1kTokens: number;
}

export interface WatchdogPolicy {
  evaluationIntervalSeconds: number;
  /** Windows with fewer requests are "no data": neither a breach nor healthy. */
  minRequests: number;
  /** Consecutive breaching windows of the serving primary before switching to the backup. */
  breachesToTrip: number;
  /** Consecutive healthy windows of the primary (on probe traffic) before switching back. */
  healthyToRecover: number;
  /** No second switch of the same specialization within this. */
  cooldownSeconds: number;
  autoRollback: boolean;
  thresholds: Thresholds;
}

export interface WindowStats {
  requests: number;
  errors: number;
  p95LatencyMs: number | null;
  accuracy: number | null;
  costPer1kTokens: number | null;
}

export type Verdict = { kind: 'no-data'; reason: string } | { kind: 'breach'; reason: string } | { kind: 'healthy'; reason: string };

/** A window breaches when it has data and any threshold is violated; each violation is named with its number. */
export function judge(w: WindowStats, policy: WatchdogPolicy): Verdict {
  if (w.requests < policy.minRequests) return { kind: 'no-data', reason: `${w.requests} requests < ${policy.minRequests}` };
  const t = policy.thresholds;
  const errorRate = w.errors / w.requests;
  const violations: string[] = [];
  if (w.p95LatencyMs !== null && w.p95LatencyMs > t.p95LatencyMs) violations.push(`p95 ${w.p95LatencyMs} ms > ${t.p95LatencyMs} ms`);
  if (errorRate > t.errorRate) violations.push(`error rate ${(errorRate * 100).toFixed(1)}% > ${(t.errorRate * 100).toFixed(1)}%`);
  if (w.accuracy !== null && w.accuracy < t.minAccuracy) violations.push(`accuracy ${w.accuracy} < ${t.minAccuracy}`);
  if (w.costPer1kTokens !== null && w.costPer1kTokens > t.maxCostPer1kTokens) violations.push(`cost ${w.costPer1kTokens}/1k tokens > ${t.maxCostPer1kTokens}`);
  return violations.length ? { kind: 'breach', reason: violations.join('; ') } : { kind: 'healthy', reason: `${w.requests} requests within thresholds` };
}

export interface WatchdogState {
  serving: 'primary' | 'backup';
  breachStreak: number;
  healthyStreak: number;
  /** Seconds (on the caller's clock) before which no switch may happen. */
  cooldownUntil: number;
}

export const initialState = (): WatchdogState => ({ serving: 'primary', breachStreak: 0, healthyStreak: 0, cooldownUntil: 0 });

export interface Decision {
  t: number;
  action: 'switch' | 'rollback';
  reason: string;
}

/**
 * One evaluation of the primary's window at time `t` (seconds). While the primary serves, breaches
 * are counted; while the backup serves, the primary is watched on probe traffic and healthy windows
 * are counted. "No data" leaves both streaks as they are. Cooldown delays a switch, it does not
 * forget the streak.
 */
export function step(state: WatchdogState, primary: WindowStats, t: number, policy: WatchdogPolicy): { state: WatchdogState; verdict: Verdict; decision?: Decision } {
  const verdict = judge(primary, policy);
  const next = { ...state };
  if (verdict.kind === 'breach') {
    next.breachStreak += 1;
    next.healthyStreak = 0;
  } else if (verdict.kind === 'healthy') {
    next.healthyStreak += 1;
    next.breachStreak = 0;
  }
  const cool = t >= state.cooldownUntil;
  if (state.serving === 'primary' && next.breachStreak >= policy.breachesToTrip && cool) {
    const reason = `${next.breachStreak} breaching windows in a row (${verdict.reason})`;
    return { state: { serving: 'backup', breachStreak: 0, healthyStreak: 0, cooldownUntil: t + policy.cooldownSeconds }, verdict, decision: { t, action: 'switch', reason } };
  }
  if (state.serving === 'backup' && policy.autoRollback && next.healthyStreak >= policy.healthyToRecover && cool) {
    const reason = `primary healthy for ${next.healthyStreak} windows in a row`;
    return { state: { serving: 'primary', breachStreak: 0, healthyStreak: 0, cooldownUntil: t + policy.cooldownSeconds }, verdict, decision: { t, action: 'rollback', reason } };
  }
  return { state: next, verdict };
}
