/**
 * Failing over and back, in workflow code: the healthy backup chosen from probed candidates, the
 * switch made and its alerts raised or resolved. What each step writes down is decided in records.ts.
 */
import { isCancellation } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { observe } from './activity-proxies';
import type { WatchdogEffects } from './effects';
import type { WatchdogPolicy, WindowStats } from './evaluate';
import { noBackupEvaluation } from './records';
import { chooseBackup } from './ranking';
import type { WatchdogRunState } from './types';

/** Runs recorded before judgement by evidence replay with the point-estimate judge they used. */
export type Judgement = 'evidence' | 'point-estimate';

export function watchdogFailover(s: WatchdogRunState, effects: WatchdogEffects, judgement: Judgement) {
  const { specialization } = s;
  return {
    /** True when traffic moved to a backup; otherwise the state says why not (and when to look again). */
    async failOver(reason: string, stats: WindowStats, policy: WatchdogPolicy, t: number): Promise<boolean> {
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
        s.evaluation = noBackupEvaluation(t, policy.cooldownSeconds);
        s.noBackupSince ??= new Date().toISOString();
        await effects.raise(
          'no-healthy-backup',
          trippedModelId,
          'critical',
          `${specialization}: the primary is degraded and no healthy backup exists`,
          { reason, stats, candidates: candidates.length },
        );
        return false;
      }
      const decision = await effects.switchTo({ action: 'switch', to: choice, reason, stats, by: 'watchdog' });
      if (!decision) return false;
      s.backupDeploymentId = choice.deploymentId;
      s.backupModelId = choice.modelId;
      if (s.noBackupSince) {
        s.noBackupSince = null;
        await effects.resolve('no-healthy-backup', trippedModelId, 'a healthy backup took over');
      }
      await effects.raise(
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
    },

    /** True when traffic is back on the primary and its "performance-degraded" alert resolved. */
    async switchBack(reason: string, stats: WindowStats, by: string): Promise<boolean> {
      const to = { deploymentId: s.primaryDeploymentId!, modelId: s.primaryModelId! };
      if (!(await effects.switchTo({ action: 'rollback', to, reason, stats, by }))) return false;
      s.backupDeploymentId = null;
      s.backupModelId = null;
      await effects.resolve('performance-degraded', s.primaryModelId, reason);
      return true;
    },
  };
}
