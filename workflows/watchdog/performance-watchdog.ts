import {
  ActivityFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { NwStage } from '../search-attributes';
import { db, observe } from './activity-proxies';
import { watchdogEffects } from './effects';
import { initialState } from './evaluate';
import { NO_WINDOW } from './records';
import { watchdogJudging } from './judging';
import { listen } from './messages';
import { adoptResumePoint, followRouting, freshState } from './reconcile';
import type { ObservedWindow, ResumePoint, WatchdogInput, WatchdogRunState } from './types';

export * from './messages';
export * from './types';

/** Probes per window while the primary serves live traffic: enough for an accuracy reading. */
const SERVING_PROBES = 5;
const DEFAULT_MAX_WINDOWS_PER_RUN = 500;

/**
 * Watches one specialization's serving model for as long as it runs: every evaluation interval it
 * observes the primary's window (live traffic and probes), judges it with hysteresis and cooldown
 * (evaluate.ts, judging.ts), fails over to the best healthy backup when the primary trips, and
 * switches back once the primary has recovered (automatically or through the `rollback` update;
 * failover.ts). Each switch is one routing change, one switch event, one alert and one RelayCore
 * call, keyed so that retries and replays repeat none of them (effects.ts). It follows routing
 * changed by others (reconcile.ts). Kept alive by the Schedule of the same name (superviseWatchdog).
 */
export async function performanceWatchdog(input: WatchdogInput): Promise<void> {
  const { specialization } = input;
  const s: WatchdogRunState = input.carried ?? freshState(specialization);
  s.probeSpend ??= [];
  // Runs recorded before judgement by evidence replay with the point-estimate judge they used.
  const judgement = patched('evidence-judgement') ? ('evidence' as const) : ('point-estimate' as const);
  // Runs from before incidents were evidence woke at each report and counted it in full.
  const incidentsAsEvidence = patched('incidents-as-evidence');
  const inbox = listen(s);
  let stage: string | undefined;
  const showStage = () => {
    const next = s.paused ? 'paused' : s.evaluation.serving === 'backup' ? 'failed-over' : 'watching';
    if (next !== stage) upsertSearchAttributes([{ key: NwStage, value: next }]);
    stage = next;
  };

  const effects = watchdogEffects(s);
  const { judgeWindow, switchBack } = watchdogJudging(s, effects, { judgement, incidentsAsEvidence });
  // Started afresh (deleted and recreated, not continued as new): resume from what the records say.
  let resume: ResumePoint | undefined;
  if (!input.carried && patched('resume-recorded-state')) {
    resume = await db.resumeWatchdog({ specialization });
    s.evaluation.cooldownUntil = resume.cooldownUntil;
  }

  try {
    const maxWindows = input.maxWindowsPerRun ?? DEFAULT_MAX_WINDOWS_PER_RUN;
    for (let windows = 0; windows < maxWindows && !workflowInfo().continueAsNewSuggested; windows++) {
      showStage();
      await condition(() => !s.paused);
      showStage();
      await condition(
        () => (!incidentsAsEvidence && s.pendingIncidents.length > 0) || inbox.rollbackWanted() || s.paused,
        s.evaluationIntervalSeconds * 1000,
      );
      if (s.paused) continue;

      const manual = inbox.takeRollback();
      if (manual) {
        try {
          if (
            s.evaluation.serving === 'backup' &&
            (await switchBack(`manual rollback by ${manual.by}: ${manual.reason}`, NO_WINDOW, manual.by))
          )
            s.evaluation = { ...initialState(), cooldownUntil: Date.now() / 1000 + s.cooldownSeconds };
        } finally {
          inbox.rollbackDone();
        }
        continue;
      }

      let observed: ObservedWindow;
      try {
        observed = await observe.observeWindow({
          specialization,
          primaryDeploymentId: s.primaryDeploymentId,
          from: s.windowStart,
          windowSeconds: s.evaluationIntervalSeconds,
          probeExamples: s.evaluation.serving === 'backup' ? s.minRequests : SERVING_PROBES,
          previous: s.unrecorded,
        });
        s.unrecorded = undefined;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        continue; // "no data": the database or the API did not answer for this window
      }
      const { policy } = observed;
      s.windowStart = observed.until;
      s.thresholdsVersion = observed.thresholdsVersion;
      s.evaluationIntervalSeconds = policy.evaluationIntervalSeconds;
      s.minRequests = policy.minRequests;
      s.cooldownSeconds = policy.cooldownSeconds;
      s.lastEvaluatedAt = new Date().toISOString();
      const incidents = s.pendingIncidents.splice(0);
      const followed = followRouting(s, observed);
      if (followed.failoverEnded) {
        const reason = 'routing changed by someone else during the failover';
        await effects.resolve('performance-degraded', s.primaryModelId, reason);
      }
      Object.assign(s, followed.patch);
      if (resume) s.evaluation = adoptResumePoint(s, resume, policy);
      resume = undefined;
      if (followed.judge && observed.primary) await judgeWindow(observed.primary, observed.until, incidents, policy);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Deleted: finish what was promised to the webhook and RelayCore, then stop.
    await CancellationScope.nonCancellable(() => effects.settled());
    throw err;
  }
  // Deliveries never hold evaluation up (an outage must not stop failover): those under way are
  // carried over and start again in the next run. Runs from before waited for them here.
  if (!patched('deliveries-carry-over')) await effects.settled();
  await continueAsNew<typeof performanceWatchdog>({
    specialization,
    carried: s,
    maxWindowsPerRun: input.maxWindowsPerRun,
  });
}
