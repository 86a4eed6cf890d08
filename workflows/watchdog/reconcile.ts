/**
 * How the watchdog's run state follows what it finds, as pure functions (no I/O, no clock), unit
 * tested like `step()`: routing changed by others (a promotion, a failover made before this run)
 * and the records a watchdog started afresh resumes from.
 */
import { initialState, spanWindows, type WatchdogPolicy, type WatchdogState } from './evaluate';
import type { ObservedWindow, ResumePoint, WatchdogRunState } from './types';

export function freshState(specialization: string): WatchdogRunState {
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

/** The parts of the run state that say what is watched. */
export type Watched = Pick<
  WatchdogRunState,
  'evaluation' | 'primaryDeploymentId' | 'primaryModelId' | 'backupDeploymentId' | 'backupModelId'
>;

export interface Followed {
  /** What changes in the run state (nothing when routing is as the run left it). */
  patch: Partial<Watched>;
  /** Judge this window: false when routing moved (the next window starts from a clean slate) or nothing serves. */
  judge: boolean;
  /** Someone changed routing under this run's failover: the failover is over, its alert resolves. */
  failoverEnded: boolean;
}

/** Follows the routing an observed window found; the cooldown of the last switch always stands. */
export function followRouting(s: Watched, observed: Pick<ObservedWindow, 'routing' | 'primary'>): Followed {
  const r = observed.routing;
  const clean = (): WatchdogState => ({ ...initialState(), cooldownUntil: s.evaluation.cooldownUntil });
  if (s.evaluation.serving === 'backup') {
    if (r.failoverFromDeploymentId === s.primaryDeploymentId && r.stableDeploymentId === s.backupDeploymentId)
      return { patch: {}, judge: true, failoverEnded: false };
    // Someone changed routing under the failover (a promotion): the failover is over.
    return {
      patch: {
        evaluation: clean(),
        primaryDeploymentId: r.stableDeploymentId,
        primaryModelId: r.stableModelId,
        backupDeploymentId: null,
        backupModelId: null,
      },
      judge: false,
      failoverEnded: true,
    };
  }
  if (r.failoverFromDeploymentId && r.failoverFromModelId && r.stableDeploymentId && r.stableModelId) {
    // A failover this run did not make (the watchdog was recreated during one): take it over.
    return {
      patch: {
        evaluation: { ...clean(), serving: 'backup' },
        primaryDeploymentId: r.failoverFromDeploymentId,
        primaryModelId: r.failoverFromModelId,
        backupDeploymentId: r.stableDeploymentId,
        backupModelId: r.stableModelId,
      },
      judge: false,
      failoverEnded: false,
    };
  }
  if (r.stableDeploymentId !== s.primaryDeploymentId) {
    // A new stable (or the first one): watch it from a clean slate, from this window on when it was observed.
    return {
      patch: { evaluation: clean(), primaryDeploymentId: r.stableDeploymentId, primaryModelId: r.stableModelId },
      judge: observed.primary?.deploymentId === r.stableDeploymentId && r.stableDeploymentId !== null,
      failoverEnded: false,
    };
  }
  return { patch: {}, judge: s.primaryDeploymentId !== null, failoverEnded: false };
}

/**
 * A watchdog started afresh (deleted and recreated, not continued as new) takes over what the
 * records say: the cooldown of the last switch, and the streaks and evidence of the deployment it
 * is judging, so a recreation neither switches again at once nor forgets a recovery under way.
 */
export function adoptResumePoint(s: Watched, r: ResumePoint, policy: WatchdogPolicy): WatchdogState {
  const evaluation = { ...s.evaluation, cooldownUntil: Math.max(s.evaluation.cooldownUntil, r.cooldownUntil) };
  const last = r.last;
  if (!last || last.deploymentId !== s.primaryDeploymentId || last.state.serving !== evaluation.serving)
    return evaluation;
  return {
    ...evaluation,
    breachStreak: last.state.breachStreak,
    healthyStreak: last.state.healthyStreak,
    evidence: r.evidence.slice(-spanWindows(policy)),
  };
}
