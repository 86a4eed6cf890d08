import {
  ActivityFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { Deliveries } from '../deliveries';
import { DELIVERY_RETRY } from '../failures';
import { NwStage } from '../search-attributes';
import {
  extraProbesFor,
  initialState,
  MAX_PROBE_ROUNDS_PER_WINDOW,
  spanWindows,
  step,
  withProbes,
  type WatchdogPolicy,
  type WindowStats,
} from './evaluate';
import { withIncidentEvidence, withIncidentsCounted } from './incidents';
import { stepPoint } from './point-estimate';
import { chooseBackup } from './ranking';
import type {
  IncidentReport,
  ObservedWindow,
  PendingDelivery,
  ResumePoint,
  SwitchDecision,
  WatchdogInput,
  WatchdogRunState,
  WatchdogStateView,
  WindowRecord,
} from './types';

export * from './types';

export const watchdogWorkflowId = (specialization: string) => `watchdog-${specialization}`;

export const watchdogStateQuery = defineQuery<WatchdogStateView>('state');
/** A burst of errors seen outside the recorded traffic: counted into the primary's next window, evaluated at once. */
export const reportIncidentSignal = defineSignal<[IncidentReport]>('reportIncident');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Switches back to the primary now (cooldown and streaks aside); refused unless failed over. */
export const rollbackUpdate = defineUpdate<{ accepted: true }, [{ by: string; reason: string }]>('rollback');

/** Probes per window while the primary serves live traffic: enough for an accuracy reading. */
const SERVING_PROBES = 5;
const RECENT_WINDOWS = 20;
const DEFAULT_MAX_WINDOWS_PER_RUN = 500;
/** No further round of extra probes once a window's rounds have taken this long. */
const EXTRA_PROBE_TIME_MS = 5_000;

const db = proxyActivities<Activities>({
  // Routing, switch events and alerts: quick transactions, retried until the database answers.
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});
const observe = proxyActivities<Activities>({
  // A window that cannot be observed is "no data": a few quick attempts, then the next window.
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 3 },
});
const delivery = proxyActivities<Activities>({
  // Webhook and RelayCore: above their 10 s call timeout; an outage delays a delivery, never loses it.
  startToCloseTimeout: '30 seconds',
  retry: DELIVERY_RETRY,
});

function freshState(specialization: string): WatchdogRunState {
  return {
    specialization,
    evaluation: initialState(),
    primaryDeploymentId: null,
    primaryModelId: null,
    backupDeploymentId: null,
    backupModelId: null,
    windowStart: null,
    sequence: 0,
    paused: false,
    thresholdsVersion: null,
    evaluationIntervalSeconds: 5,
    minRequests: 20,
    cooldownSeconds: 60,
    lastEvaluatedAt: null,
    lastDecision: null,
    recentWindows: [],
    pendingIncidents: [],
    noBackupSince: null,
    probeSpend: [],
  };
}

/**
 * Watches one specialization's serving model for as long as it runs: every evaluation interval it
 * observes the primary's window (live traffic and probes), judges it with hysteresis and cooldown
 * (evaluate.ts), fails over to the best healthy backup when the primary trips, and switches back
 * once the primary has recovered (automatically or through the `rollback` update). Each switch is
 * one routing change, one switch event, one alert and one RelayCore call, keyed so that retries and
 * replays repeat none of them. Kept alive by the Schedule of the same name (superviseWatchdog).
 */
export async function performanceWatchdog(input: WatchdogInput): Promise<void> {
  const { specialization } = input;
  const s: WatchdogRunState = input.carried ?? freshState(specialization);
  s.probeSpend ??= [];
  const info = workflowInfo();
  // Runs recorded before judgement by evidence replay with the point-estimate judge they used.
  const judgement = patched('evidence-judgement') ? ('evidence' as const) : ('point-estimate' as const);
  // Runs from before incidents were evidence woke at each report and counted it in full.
  const incidentsAsEvidence = patched('incidents-as-evidence');
  let rollbackRequest: { by: string; reason: string } | undefined;
  const wanted = (): typeof rollbackRequest => rollbackRequest;
  const serving = () => s.evaluation.serving;

  setHandler(watchdogStateQuery, () => ({ ...s, workflowId: info.workflowId, runId: info.runId, serving: serving() }));
  setHandler(reportIncidentSignal, (incident) => {
    s.pendingIncidents.push(incident);
  });
  setHandler(pauseSignal, () => {
    s.paused = true;
  });
  setHandler(resumeSignal, () => {
    s.paused = false;
  });
  setHandler(
    rollbackUpdate,
    (request) => {
      rollbackRequest = request;
      return { accepted: true };
    },
    {
      validator: (request) => {
        if (!request?.by) throw new Error('rollback needs "by"');
        if (serving() !== 'backup') throw new Error('the primary is serving: there is nothing to roll back');
      },
    },
  );

  let stage: string | undefined;
  const showStage = () => {
    const next = s.paused ? 'paused' : serving() === 'backup' ? 'failed-over' : 'watching';
    if (next !== stage) upsertSearchAttributes([{ key: NwStage, value: next }]);
    stage = next;
  };

  // Deliveries (webhook, RelayCore) run beside the evaluation: an outage must not stall it, and a
  // refusal is recorded (the alert row says so; the state lists it), never left unhandled.
  const deliveries = new Deliveries(async (what, reason) => {
    s.undeliverable = [...(s.undeliverable ?? []), { what, reason, at: new Date().toISOString() }].slice(
      -RECENT_WINDOWS,
    );
  });
  const recordRefusedSwitch = async (key: string, reason: string) => {
    if (!patched('switch-refusal-recorded')) return;
    try {
      await db.recordSwitchUndeliverable({ key, reason });
    } catch (err) {
      if (isCancellation(err)) throw err; // the state keeps the refusal either way
    }
  };
  /** Starts a delivery and keeps it in the state until it ends, so a continue-as-new can carry it over. */
  const deliver = (d: PendingDelivery) => {
    s.pendingDeliveries = [...(s.pendingDeliveries ?? []), d];
    const run = d.kind === 'alert' ? delivery.deliverAlert(d.alert) : delivery.updateRelayCoreRoute(d.route);
    deliveries.add(
      d.what,
      run.finally(() => {
        s.pendingDeliveries = (s.pendingDeliveries ?? []).filter((p) => p !== d);
      }),
      // A switch RelayCore refused says so on its switch event (runs before this recorded it in the state only).
      d.kind === 'relaycore-route' ? (reason) => recordRefusedSwitch(d.route.idempotencyKey, reason) : undefined,
    );
  };
  // Deliveries a previous run left under way start again (same idempotency keys: receivers dedupe).
  const carriedDeliveries = s.pendingDeliveries ?? [];
  s.pendingDeliveries = [];
  carriedDeliveries.forEach(deliver);
  const nextKey = () => `${info.workflowId}:${info.firstExecutionRunId}:${++s.sequence}`;

  const raise = async (
    alertClass: 'performance-degraded' | 'no-healthy-backup',
    modelId: string,
    severity: 'warning' | 'critical',
    summary: string,
    details: Record<string, unknown>,
  ) => {
    const alert = await db.raiseAlert({
      alertClass,
      specialization,
      modelId,
      severity,
      summary,
      details,
      key: nextKey(),
    });
    if (alert.changed)
      deliver({
        what: `alert ${alert.alertId} firing`,
        kind: 'alert',
        alert: { alertId: alert.alertId, status: 'firing', count: alert.count },
      });
  };
  const resolve = async (
    alertClass: 'performance-degraded' | 'no-healthy-backup',
    modelId: string | null,
    reason: string,
  ) => {
    for (const alert of await db.resolveAlerts({ specialization, modelId, alertClass, reason, key: nextKey() })) {
      deliver({
        what: `alert ${alert.alertId} resolved`,
        kind: 'alert',
        alert: { alertId: alert.alertId, status: 'resolved', count: alert.count },
      });
    }
  };

  /** One routing change: the switch event and the routing row in one transaction, then RelayCore. */
  const switchTo = async (
    action: SwitchDecision['action'],
    to: { deploymentId: string; modelId: string },
    reason: string,
    stats: WindowStats,
    by: string,
  ) => {
    const decision: SwitchDecision = {
      key: nextKey(),
      action,
      at: new Date().toISOString(),
      reason,
      specialization,
      fromDeploymentId: action === 'switch' ? s.primaryDeploymentId! : s.backupDeploymentId!,
      fromModelId: action === 'switch' ? s.primaryModelId! : s.backupModelId!,
      toDeploymentId: to.deploymentId,
      toModelId: to.modelId,
      stats,
      thresholdsVersion: s.thresholdsVersion ?? 0,
      workflowId: info.workflowId,
      by,
    };
    const { conflict } = await db.switchRouting(decision);
    // Routing moved on under us (a promotion): nothing switched; the next window follows it.
    if (conflict) return undefined;
    s.lastDecision = decision;
    deliver({
      what: `RelayCore route of ${decision.key}`,
      kind: 'relaycore-route',
      route: {
        specialization,
        modelId: to.modelId,
        reason: `watchdog ${action}: ${reason}`,
        idempotencyKey: decision.key,
      },
    });
    return decision;
  };

  /** True when traffic moved to a backup; otherwise the state says why not (and when to look again). */
  const failOver = async (reason: string, stats: WindowStats, policy: WatchdogPolicy, t: number): Promise<boolean> => {
    const trippedModelId = s.primaryModelId!;
    let candidates: Awaited<ReturnType<Activities['probeBackupCandidates']>> = [];
    try {
      candidates = await observe.probeBackupCandidates({
        specialization,
        excludeModelId: trippedModelId,
        examples: policy.minRequests,
        p95ThresholdMs: policy.thresholds.p95LatencyMs,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
    }
    const choice = chooseBackup(candidates, policy, trippedModelId, judgement);
    if (!choice) {
      // Nothing healthy to switch to: keep serving, say so once, look again after the cooldown.
      s.evaluation = {
        serving: 'primary',
        breachStreak: 0,
        healthyStreak: 0,
        cooldownUntil: t + policy.cooldownSeconds,
      };
      s.noBackupSince ??= new Date().toISOString();
      await raise(
        'no-healthy-backup',
        trippedModelId,
        'critical',
        `${specialization}: the primary is degraded and no healthy backup exists`,
        { reason, stats, candidates: candidates.length },
      );
      return false;
    }
    const decision = await switchTo('switch', choice, reason, stats, 'watchdog');
    if (!decision) return false;
    s.backupDeploymentId = choice.deploymentId;
    s.backupModelId = choice.modelId;
    if (s.noBackupSince) {
      s.noBackupSince = null;
      await resolve('no-healthy-backup', trippedModelId, 'a healthy backup took over');
    }
    await raise(
      'performance-degraded',
      trippedModelId,
      'warning',
      `${specialization}: switched to a backup: ${reason}`,
      {
        decisionKey: decision.key,
        fromDeploymentId: decision.fromDeploymentId,
        toDeploymentId: decision.toDeploymentId,
        toModelId: decision.toModelId,
        stats,
        thresholdsVersion: decision.thresholdsVersion,
      },
    );
    return true;
  };

  const switchBack = async (reason: string, stats: WindowStats, by: string): Promise<boolean> => {
    if (
      !(await switchTo(
        'rollback',
        { deploymentId: s.primaryDeploymentId!, modelId: s.primaryModelId! },
        reason,
        stats,
        by,
      ))
    )
      return false;
    s.backupDeploymentId = null;
    s.backupModelId = null;
    await resolve('performance-degraded', s.primaryModelId, reason);
    return true;
  };

  /**
   * Inconclusive but suspect evidence: rounds of labelled probes through the serving path, each
   * judged before the next, within the per-minute budget. A probe that fails leaves the window as it is.
   */
  const withExtraProbes = async (
    deploymentId: string,
    window: WindowStats,
    t: number,
    policy: WatchdogPolicy,
  ): Promise<WindowStats> => {
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

  /** Follows routing changes made by others (a promotion, a failover found at start). False: skip this window. */
  const reconcile = async (observed: ObservedWindow): Promise<boolean> => {
    const r = observed.routing;
    if (serving() === 'backup') {
      if (r.failoverFromDeploymentId === s.primaryDeploymentId && r.stableDeploymentId === s.backupDeploymentId)
        return true;
      // Someone changed routing under the failover (a promotion): the failover is over.
      await resolve('performance-degraded', s.primaryModelId, 'routing changed by someone else during the failover');
      s.evaluation = { ...initialState(), cooldownUntil: s.evaluation.cooldownUntil };
      s.primaryDeploymentId = r.stableDeploymentId;
      s.primaryModelId = r.stableModelId;
      s.backupDeploymentId = s.backupModelId = null;
      return false;
    }
    if (r.failoverFromDeploymentId && r.failoverFromModelId && r.stableDeploymentId && r.stableModelId) {
      // A failover this run did not make (the watchdog was recreated during one): take it over.
      s.evaluation = { ...initialState(), serving: 'backup', cooldownUntil: s.evaluation.cooldownUntil };
      s.primaryDeploymentId = r.failoverFromDeploymentId;
      s.primaryModelId = r.failoverFromModelId;
      s.backupDeploymentId = r.stableDeploymentId;
      s.backupModelId = r.stableModelId;
      return false;
    }
    if (r.stableDeploymentId !== s.primaryDeploymentId) {
      // A new stable (or the first one): watch it from a clean slate.
      s.evaluation = { ...initialState(), cooldownUntil: s.evaluation.cooldownUntil };
      s.primaryDeploymentId = r.stableDeploymentId;
      s.primaryModelId = r.stableModelId;
      return observed.primary?.deploymentId === s.primaryDeploymentId && s.primaryDeploymentId !== null;
    }
    return s.primaryDeploymentId !== null;
  };

  /**
   * A watchdog started afresh (deleted and recreated, not continued as new) takes over what the
   * records say: the cooldown of the last switch, and the streaks and evidence of the deployment it
   * was judging, so a recreation neither switches again at once nor forgets a recovery under way.
   */
  let resume: ResumePoint | undefined;
  if (!input.carried && patched('resume-recorded-state')) {
    resume = await db.resumeWatchdog({ specialization });
    s.evaluation.cooldownUntil = resume.cooldownUntil;
  }
  const adopt = (r: ResumePoint, policy: WatchdogPolicy) => {
    s.evaluation.cooldownUntil = Math.max(s.evaluation.cooldownUntil, r.cooldownUntil);
    const last = r.last;
    if (!last || last.deploymentId !== s.primaryDeploymentId || last.state.serving !== serving()) return;
    s.evaluation = {
      ...s.evaluation,
      breachStreak: last.state.breachStreak,
      healthyStreak: last.state.healthyStreak,
      evidence: r.evidence.slice(-spanWindows(policy)),
    };
  };

  try {
    for (
      let windows = 0;
      windows < (input.maxWindowsPerRun ?? DEFAULT_MAX_WINDOWS_PER_RUN) && !workflowInfo().continueAsNewSuggested;
      windows++
    ) {
      showStage();
      await condition(() => !s.paused);
      showStage();
      await condition(
        () => (!incidentsAsEvidence && s.pendingIncidents.length > 0) || wanted() !== undefined || s.paused,
        s.evaluationIntervalSeconds * 1000,
      );
      if (s.paused) continue;

      const manual = wanted();
      if (manual) {
        rollbackRequest = undefined;
        if (serving() === 'backup') {
          const noWindow: WindowStats = {
            requests: 0,
            errors: 0,
            slow: null,
            p95LatencyMs: null,
            labelled: 0,
            correct: 0,
            accuracy: null,
            costPer1kTokens: null,
          };
          if (await switchBack(`manual rollback by ${manual.by}: ${manual.reason}`, noWindow, manual.by))
            s.evaluation = { ...initialState(), cooldownUntil: Date.now() / 1000 + s.cooldownSeconds };
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
          probeExamples: serving() === 'backup' ? s.minRequests : SERVING_PROBES,
          previous: s.unrecorded,
        });
        s.unrecorded = undefined;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        continue; // "no data": the database or the API did not answer for this window
      }
      s.windowStart = observed.until;
      s.thresholdsVersion = observed.thresholdsVersion;
      s.evaluationIntervalSeconds = observed.policy.evaluationIntervalSeconds;
      s.minRequests = observed.policy.minRequests;
      s.cooldownSeconds = observed.policy.cooldownSeconds;
      s.lastEvaluatedAt = new Date().toISOString();
      const incidents = s.pendingIncidents.splice(0);
      const followed = await reconcile(observed);
      if (resume) adopt(resume, observed.policy);
      resume = undefined;
      if (!followed || !observed.primary) continue;

      let stats = (incidentsAsEvidence ? withIncidentEvidence : withIncidentsCounted)(
        observed.primary.stats,
        incidents,
      );
      const t = Date.now() / 1000;
      if (judgement === 'evidence')
        stats = await withExtraProbes(observed.primary.deploymentId, stats, t, observed.policy);
      const result =
        judgement === 'evidence'
          ? step(s.evaluation, stats, t, observed.policy)
          : stepPoint(s.evaluation, stats, t, observed.policy);
      const record: WindowRecord = {
        at: s.lastEvaluatedAt,
        until: observed.until,
        deploymentId: observed.primary.deploymentId,
        role: serving() === 'primary' ? ('primary-serving' as const) : ('primary-probed' as const),
        stats,
        verdict: result.verdict,
      };
      s.recentWindows = [...s.recentWindows, record].slice(-RECENT_WINDOWS);
      s.unrecorded = record;
      const reason = incidents.length
        ? `${result.decision?.reason ?? result.verdict.reason}; incidents: ${incidents.map((i) => `${i.reason} (${i.by})`).join(', ')}`
        : (result.decision?.reason ?? '');

      if (result.decision?.action === 'switch') {
        if (await failOver(reason, stats, observed.policy, t)) s.evaluation = result.state;
      } else if (result.decision?.action === 'rollback') {
        if (await switchBack(reason, stats, 'watchdog')) s.evaluation = result.state;
      } else {
        s.evaluation = result.state;
        if (s.noBackupSince && serving() === 'primary' && result.verdict.kind === 'healthy') {
          s.noBackupSince = null;
          await resolve('no-healthy-backup', s.primaryModelId, 'the primary is healthy again');
        }
      }
      const { serving: now, breachStreak, healthyStreak, cooldownUntil } = s.evaluation;
      record.state = { serving: now, breachStreak, healthyStreak, cooldownUntil };
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Deleted: finish what was promised to the webhook and RelayCore, then stop.
    await CancellationScope.nonCancellable(() => deliveries.settled());
    throw err;
  }
  // Deliveries never hold evaluation up (an outage must not stop failover): those under way are
  // carried over and start again in the next run. Runs from before waited for them here.
  if (!patched('deliveries-carry-over')) await deliveries.settled();
  await continueAsNew<typeof performanceWatchdog>({
    specialization,
    carried: s,
    maxWindowsPerRun: input.maxWindowsPerRun,
  });
}
