/**
 * The watchdog's decisions as a pure function of the windows it sees (no I/O, no clock): the
 * workflow, the backtest CLI, the simulator and the unit tests all run this same code. The
 * statistics are in evidence.ts; this is the switching around them.
 */
import {
  addCounts,
  extraProbesWanted,
  judgeEvidence,
  type EvidenceCounts,
  type EvidencePolicy,
  type EvidenceThresholds,
  type MetricVerdict,
} from './evidence';

export type Thresholds = EvidenceThresholds;

export interface WatchdogPolicy {
  evaluationIntervalSeconds: number;
  /** Fewest requests behind an error-rate or latency judgement (pooled over windows). */
  minRequests: number;
  /** Fewest labelled probes behind an accuracy judgement (pooled over windows). */
  minLabelled: number;
  /** How far back windows are pooled. */
  evidenceSpanSeconds: number;
  /** One-sided confidence a breach needs, and the confidence "healthy" needs. */
  breachConfidence: number;
  healthyConfidence: number;
  /** Extra labelled probes sent at once when the evidence is inconclusive and a metric looks past its threshold. */
  extraProbes: { perRound: number; perMinute: number };
  /** Only the point-estimate judge (histories from before judgement by evidence) reads this. */
  breachesToTrip: number;
  /** Consecutive healthy verdicts of the primary (on probe traffic) before switching back. */
  healthyToRecover: number;
  /** No second switch of the same specialization within this. */
  cooldownSeconds: number;
  autoRollback: boolean;
  /** Start a watchdog when a rollout promotes a model of the specialization. */
  watch: boolean;
  thresholds: Thresholds;
}

/** One window of a deployment: the counts behind every judgement, and the figures shown beside them. */
export interface WindowStats extends EvidenceCounts {
  /** correct / labelled (or an old trace's figure); null when nothing labelled was answered. */
  accuracy: number | null;
}

export type Verdict = {
  kind: 'no-data' | 'inconclusive' | 'breach' | 'healthy';
  reason: string;
  metrics?: MetricVerdict[];
};

export interface WatchdogState {
  serving: 'primary' | 'backup';
  breachStreak: number;
  healthyStreak: number;
  /** Seconds (on the caller's clock) before which no switch may happen. */
  cooldownUntil: number;
  /** The primary's newest windows since the last switch (oldest first), pooled by the judgement. */
  evidence?: WindowStats[];
}

export const initialState = (): WatchdogState => ({
  serving: 'primary',
  breachStreak: 0,
  healthyStreak: 0,
  cooldownUntil: 0,
  evidence: [],
});

/** What `step()` decides; the workflow records what it did about it as a `SwitchDecision` (types.ts). */
export interface StepDecision {
  t: number;
  action: 'switch' | 'rollback';
  reason: string;
}

/** Streaks after a verdict: a breach extends the breach streak and ends the healthy one, and the other way round. */
export function countVerdict(state: WatchdogState, kind: Verdict['kind']): WatchdogState {
  if (kind === 'breach') return { ...state, breachStreak: state.breachStreak + 1, healthyStreak: 0 };
  if (kind === 'healthy') return { ...state, healthyStreak: state.healthyStreak + 1, breachStreak: 0 };
  return { ...state };
}

export const spanWindows = (policy: WatchdogPolicy) =>
  Math.max(1, Math.round(policy.evidenceSpanSeconds / policy.evaluationIntervalSeconds));

export const evidencePolicy = (policy: WatchdogPolicy): EvidencePolicy => ({
  spanWindows: spanWindows(policy),
  minRequests: policy.minRequests,
  minLabelled: policy.minLabelled,
  breachConfidence: policy.breachConfidence,
  healthyConfidence: policy.healthyConfidence,
  thresholds: policy.thresholds,
});

/** The verdict on a set of windows of one deployment (oldest first). */
export function judge(windows: WindowStats[], policy: WatchdogPolicy): Verdict {
  return judgeEvidence(windows, evidencePolicy(policy));
}

/**
 * One evaluation of the primary's newest window at time `t` (seconds). While the primary serves,
 * one conclusive breach switches (after the cooldown); while the backup serves, the primary is
 * judged on probe traffic and `healthyToRecover` healthy verdicts in a row switch back. Evidence
 * starts afresh at each switch, and while failed over at each breach: what counts is how the
 * primary does since.
 */
export function step(
  state: WatchdogState,
  primary: WindowStats,
  t: number,
  policy: WatchdogPolicy,
): { state: WatchdogState; verdict: Verdict; decision?: StepDecision } {
  const evidence = [...(state.evidence ?? []), primary].slice(-spanWindows(policy));
  const verdict = judge(evidence, policy);
  const next: WatchdogState = { ...countVerdict(state, verdict.kind), evidence };
  if (verdict.kind === 'inconclusive' && verdict.metrics?.some((m) => m.suspect)) next.healthyStreak = 0;
  // Failed over, a primary still breaching starts its evidence afresh: recovery is judged on what it
  // did since it last breached, not diluted by (or waiting out) the failure that tripped it.
  if (state.serving === 'backup' && verdict.kind === 'breach') next.evidence = [];
  const cool = t >= state.cooldownUntil;
  const switched = (serving: WatchdogState['serving']): WatchdogState => ({
    serving,
    breachStreak: 0,
    healthyStreak: 0,
    cooldownUntil: t + policy.cooldownSeconds,
    evidence: [],
  });
  if (state.serving === 'primary' && verdict.kind === 'breach' && cool) {
    return {
      state: switched('backup'),
      verdict,
      decision: { t, action: 'switch', reason: `breach: ${verdict.reason}` },
    };
  }
  if (state.serving === 'backup' && policy.autoRollback && next.healthyStreak >= policy.healthyToRecover && cool) {
    return {
      state: switched('primary'),
      verdict,
      decision: {
        t,
        action: 'rollback',
        reason: `primary healthy in ${next.healthyStreak} evaluations in a row (${verdict.reason})`,
      },
    };
  }
  return { state: next, verdict };
}

/** A round of extra probes spent at `t` (seconds): the per-minute budget counts them. */
export interface ProbeSpend {
  t: number;
  probes: number;
}

/** Probes the budget still allows at `t`: perMinute less what was spent in the minute before. */
export function probeBudgetLeft(spent: ProbeSpend[], t: number, policy: WatchdogPolicy): number {
  return Math.max(
    0,
    policy.extraProbes.perMinute - spent.filter((s) => s.t > t - 60).reduce((sum, s) => sum + s.probes, 0),
  );
}

/**
 * Extra probes to send before stepping on `window` (0: none): only while the primary serves, only
 * when its evidence with this window is inconclusive and some metric looks past its threshold.
 */
export function extraProbesFor(
  state: WatchdogState,
  window: WindowStats,
  t: number,
  policy: WatchdogPolicy,
  spent: ProbeSpend[],
): number {
  if (state.serving !== 'primary') return 0;
  const verdict = judgeEvidence(
    [...(state.evidence ?? []), window].slice(-spanWindows(policy)),
    evidencePolicy(policy),
  );
  return extraProbesWanted(verdict, probeBudgetLeft(spent, t, policy), policy.extraProbes.perRound);
}

/** The most rounds of extra probes for one window: each round is judged before the next is asked for. */
export const MAX_PROBE_ROUNDS_PER_WINDOW = 3;

/** A window with a round of probes counted in; accuracy follows the labels. */
export function withProbes(window: WindowStats, probes: EvidenceCounts): WindowStats {
  const sum = addCounts(window, probes);
  return { ...sum, accuracy: sum.labelled ? sum.correct / sum.labelled : window.accuracy };
}
