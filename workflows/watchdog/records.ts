/**
 * The failover's bookkeeping as pure functions (no I/O, no clock): the switch decision and what
 * it records, the state after a switch, and the record of each judged window. The workflow does
 * the switching (failover.ts); what it writes down is decided here.
 */
import type { StepDecision, Verdict, WatchdogState, WindowStats } from './evaluate';
import type { IncidentReport, SwitchDecision, WatchdogRunState, WindowRecord } from './types';

/** A manual rollback decides on no window: its switch event says so with zeros. */
export const NO_WINDOW: WindowStats = {
  requests: 0,
  errors: 0,
  slow: null,
  p95LatencyMs: null,
  labelled: 0,
  correct: 0,
  accuracy: null,
  costPer1kTokens: null,
};

export interface SwitchRequest {
  action: SwitchDecision['action'];
  to: { deploymentId: string; modelId: string };
  reason: string;
  stats: WindowStats;
  by: string;
}

/** A switch moves traffic from the primary to `to`; a rollback from the backup back to the primary. */
export function switchDecision(
  s: Pick<
    WatchdogRunState,
    | 'specialization'
    | 'primaryDeploymentId'
    | 'primaryModelId'
    | 'backupDeploymentId'
    | 'backupModelId'
    | 'thresholdsVersion'
  >,
  { action, to, reason, stats, by }: SwitchRequest,
  made: { key: string; at: string; workflowId: string },
): SwitchDecision {
  const from =
    action === 'switch'
      ? { deploymentId: s.primaryDeploymentId!, modelId: s.primaryModelId! }
      : { deploymentId: s.backupDeploymentId!, modelId: s.backupModelId! };
  return {
    key: made.key,
    action,
    at: made.at,
    reason,
    specialization: s.specialization,
    fromDeploymentId: from.deploymentId,
    fromModelId: from.modelId,
    toDeploymentId: to.deploymentId,
    toModelId: to.modelId,
    stats,
    thresholdsVersion: s.thresholdsVersion ?? 0,
    workflowId: made.workflowId,
    by,
  };
}

/** Nothing healthy to switch to: keep serving the primary, streaks cleared, look again after the cooldown. */
export const noBackupEvaluation = (t: number, cooldownSeconds: number): WatchdogState => ({
  serving: 'primary',
  breachStreak: 0,
  healthyStreak: 0,
  cooldownUntil: t + cooldownSeconds,
});

/** The decision's reason, or the verdict's, with the incidents counted into the window named after it. */
export function windowReason(
  decision: StepDecision | undefined,
  verdict: Verdict,
  incidents: readonly IncidentReport[],
): string {
  if (!incidents.length) return decision?.reason ?? '';
  return `${decision?.reason ?? verdict.reason}; incidents: ${incidents.map((i) => `${i.reason} (${i.by})`).join(', ')}`;
}

/** The record of a judged window as the state lists it and watchdog_windows keeps it. */
export function windowRecord(
  at: string,
  until: string,
  deploymentId: string,
  serving: WatchdogState['serving'],
  stats: WindowStats,
  verdict: Verdict,
): WindowRecord {
  return {
    at,
    until,
    deploymentId,
    role: serving === 'primary' ? 'primary-serving' : 'primary-probed',
    stats,
    verdict,
  };
}

/** What a recreated watchdog resumes from: the evaluation state after the window. */
export function afterWindow({ serving, breachStreak, healthyStreak, cooldownUntil }: WatchdogState) {
  return { serving, breachStreak, healthyStreak, cooldownUntil };
}
