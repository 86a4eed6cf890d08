import type { RecordedWindow, WatchdogStore } from '../../db/stores/watchdog';
import type { ThresholdsStore } from '../../db/stores/thresholds';
import { policyFor } from '../../config/performance-thresholds';
import type { WatchdogPolicy } from '../../workflows/watchdog/evaluate';
import type { ResumePoint } from '../../workflows/watchdog/types';

/**
 * The resume point from the records (pure): the cooldown of the last switch (or a later recorded
 * one), and the newest window's deployment, role and state with that deployment's evidence since
 * the last switch — since its last breach while failed over, as the evaluation itself restarts it.
 * `windows` are newest first, already limited to after the last switch and to the evidence span.
 */
export function resumePoint(
  records: { lastSwitchAt: Date | null; windows: RecordedWindow[] },
  policy: WatchdogPolicy,
): ResumePoint {
  const switchedCooldown = records.lastSwitchAt ? records.lastSwitchAt.getTime() / 1_000 + policy.cooldownSeconds : 0;
  const [newest] = records.windows;
  if (!newest?.state) return { cooldownUntil: switchedCooldown, last: null, evidence: [] };
  const evidence: RecordedWindow[] = [];
  for (const w of records.windows) {
    if (w.deploymentId !== newest.deploymentId || w.role !== newest.role) break;
    if (w.role === 'primary-probed' && w.verdict === 'breach') break;
    evidence.push(w);
  }
  return {
    cooldownUntil: Math.max(switchedCooldown, newest.state.cooldownUntil),
    last: { deploymentId: newest.deploymentId, role: newest.role, state: newest.state },
    evidence: evidence.reverse().map((w) => w.stats),
  };
}

export function createResumeActivities({
  watchdog,
  thresholds,
}: {
  watchdog: WatchdogStore;
  thresholds: ThresholdsStore;
}) {
  return {
    /** What a watchdog started afresh takes over: only records from within the evidence span count. */
    async resumeWatchdog(p: { specialization: string }): Promise<ResumePoint> {
      const policy = policyFor((await thresholds.current()).thresholds, p.specialization);
      const since = new Date(Date.now() - (policy.evidenceSpanSeconds + 2 * policy.evaluationIntervalSeconds) * 1_000);
      return resumePoint(await watchdog.resumeRecords(p.specialization, since), policy);
    },
  };
}
