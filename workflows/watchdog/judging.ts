/**
 * One observed window of the primary, judged and acted on, in workflow code: incidents counted
 * in, extra probes while the evidence is inconclusive but suspect, the verdict (evaluate.ts), then
 * a failover, a switch back or nothing, and the window recorded with the state after it.
 */
import { ActivityFailure } from '@temporalio/workflow';
import { observe } from './activity-proxies';
import { RECENT_WINDOWS, type WatchdogEffects } from './effects';
import {
  extraProbesFor,
  MAX_PROBE_ROUNDS_PER_WINDOW,
  step,
  withProbes,
  type WatchdogPolicy,
  type WindowStats,
} from './evaluate';
import { afterWindow, windowReason, windowRecord } from './records';
import { withIncidentEvidence, withIncidentsCounted } from './incidents';
import { stepPoint } from './point-estimate';
import { watchdogFailover, type Judgement } from './failover';
import type { IncidentReport, ObservedWindow, WatchdogRunState } from './types';

/** No further round of extra probes once a window's rounds have taken this long. */
const EXTRA_PROBE_TIME_MS = 5_000;

export interface JudgingRules {
  judgement: Judgement;
  /** Runs from before incidents were evidence counted each report in full. */
  incidentsAsEvidence: boolean;
}

export function watchdogJudging(s: WatchdogRunState, effects: WatchdogEffects, rules: JudgingRules) {
  const { failOver, switchBack } = watchdogFailover(s, effects, rules.judgement);

  /**
   * Inconclusive but suspect evidence: rounds of labelled probes through the serving path, each
   * judged before the next, within the per-minute budget. A probe that fails leaves the window as it is.
   */
  const withExtraProbes = async (deploymentId: string, window: WindowStats, t: number, policy: WatchdogPolicy) => {
    s.probeSpend = s.probeSpend.filter((spend) => spend.t > t - 60);
    const started = Date.now();
    for (let round = 0; round < MAX_PROBE_ROUNDS_PER_WINDOW; round++) {
      // A slow serving path (the kind of fault being probed) must not hold the evaluation up: the
      // next window goes on with what this one has.
      if (round > 0 && Date.now() - started > EXTRA_PROBE_TIME_MS) break;
      const wanted = extraProbesFor(s.evaluation, window, t, policy, s.probeSpend);
      if (!wanted) break;
      s.probeSpend.push({ t, probes: wanted });
      let probed: WindowStats | null = null;
      try {
        probed = await observe.probeDeployment({
          deploymentId,
          examples: wanted,
          p95ThresholdMs: policy.thresholds.p95LatencyMs,
        });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
      }
      if (!probed) break;
      window = withProbes(window, probed);
    }
    return window;
  };

  return {
    switchBack,

    async judgeWindow(
      primary: NonNullable<ObservedWindow['primary']>,
      until: string,
      incidents: IncidentReport[],
      policy: WatchdogPolicy,
    ): Promise<void> {
      const count = rules.incidentsAsEvidence ? withIncidentEvidence : withIncidentsCounted;
      const t = Date.now() / 1000;
      let stats = count(primary.stats, incidents);
      if (rules.judgement === 'evidence') stats = await withExtraProbes(primary.deploymentId, stats, t, policy);
      const result = (rules.judgement === 'evidence' ? step : stepPoint)(s.evaluation, stats, t, policy);
      const serving = s.evaluation.serving;
      const record = windowRecord(s.lastEvaluatedAt!, until, primary.deploymentId, serving, stats, result.verdict);
      s.recentWindows = [...s.recentWindows, record].slice(-RECENT_WINDOWS);
      s.unrecorded = record;
      const reason = windowReason(result.decision, result.verdict, incidents);

      if (result.decision?.action === 'switch') {
        if (await failOver(reason, stats, policy, t)) s.evaluation = result.state;
      } else if (result.decision?.action === 'rollback') {
        if (await switchBack(reason, stats, 'watchdog')) s.evaluation = result.state;
      } else {
        s.evaluation = result.state;
        if (s.noBackupSince && s.evaluation.serving === 'primary' && result.verdict.kind === 'healthy') {
          s.noBackupSince = null;
          await effects.resolve('no-healthy-backup', s.primaryModelId, 'the primary is healthy again');
        }
      }
      record.state = afterWindow(s.evaluation);
    },
  };
}
