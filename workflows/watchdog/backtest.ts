import { initialState, step, type Decision, type WindowStats } from './evaluate';
import { policyFor, type ThresholdsFile } from './policy';

/** One recorded window of a trace (JSON lines for the CLI, an array for the API). */
export interface TraceWindow extends WindowStats {
  /** Seconds since the trace began. */
  t: number;
  model: 'primary' | 'backup';
}

export interface BacktestResult {
  trips: number;
  recoveries: number;
  decisions: Decision[];
}

/**
 * The watchdog's own evaluation over a recorded trace. Decisions follow the primary: its live
 * windows while it serves, its probe windows once the backup serves (as the workflow does).
 */
export function backtest(thresholds: ThresholdsFile, trace: TraceWindow[], specialization?: string): BacktestResult {
  const policy = policyFor(thresholds, specialization);
  let state = initialState();
  const decisions: Decision[] = [];
  for (const w of [...trace].sort((a, b) => a.t - b.t).filter((x) => x.model === 'primary')) {
    const result = step(state, w, w.t, policy);
    state = result.state;
    if (result.decision) decisions.push(result.decision);
  }
  return { trips: decisions.filter((d) => d.action === 'switch').length, recoveries: decisions.filter((d) => d.action === 'rollback').length, decisions };
}
