import { initialState, step, type StepDecision, type WindowStats } from './evaluate';
import { policyFor, type ThresholdsFile } from '../../config/performance-thresholds';

/** One recorded window of a trace (JSON lines for the CLI, an array for the API). */
export interface TraceWindow {
  /** Seconds since the trace began. */
  t: number;
  model: 'primary' | 'backup';
  requests: number;
  errors: number;
  slow: number | null;
  p95LatencyMs: number | null;
  labelled?: number;
  correct?: number;
  accuracy: number | null;
  costPer1kTokens: number | null;
}

export interface BacktestResult {
  trips: number;
  recoveries: number;
  decisions: StepDecision[];
}

/** Labelled probes an old trace's accuracy stands for: what the watchdog sent per window then. */
export const LEGACY_LABELS_PER_WINDOW = 5;

/** A trace window as the evaluation counts it: an accuracy without counts stands for 5 labelled probes. */
export function windowOf(w: TraceWindow): WindowStats {
  const counted = w.labelled !== undefined && w.correct !== undefined;
  const labelled = counted ? w.labelled! : w.accuracy === null ? 0 : LEGACY_LABELS_PER_WINDOW;
  const correct = counted ? w.correct! : w.accuracy === null ? 0 : Math.round(w.accuracy * LEGACY_LABELS_PER_WINDOW);
  return {
    requests: w.requests,
    errors: w.errors,
    slow: w.slow,
    p95LatencyMs: w.p95LatencyMs,
    labelled,
    correct,
    accuracy: labelled ? correct / labelled : w.accuracy,
    costPer1kTokens: w.costPer1kTokens,
  };
}

/**
 * The watchdog's own evaluation over a recorded trace. Decisions follow the primary: its live
 * windows while it serves, its probe windows once the backup serves (as the workflow does). A
 * trace carries no extra probes: what the live watchdog would have asked for is not there.
 */
export function backtest(thresholds: ThresholdsFile, trace: TraceWindow[], specialization?: string): BacktestResult {
  const policy = policyFor(thresholds, specialization);
  let state = initialState();
  const decisions: StepDecision[] = [];
  for (const w of [...trace].sort((a, b) => a.t - b.t).filter((x) => x.model === 'primary')) {
    const result = step(state, windowOf(w), w.t, policy);
    state = result.state;
    if (result.decision) decisions.push(result.decision);
  }
  return {
    trips: decisions.filter((d) => d.action === 'switch').length,
    recoveries: decisions.filter((d) => d.action === 'rollback').length,
    decisions,
  };
}
