import { isCancellation, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { undeliverableReason } from './deliveries';
import { rollbackSwitchKey } from './deployment-types';
import { RELAYCORE_RETRY } from './failures';
import { NwStage } from './search-attributes';

export interface RollbackDeploymentInput {
  deploymentId: string;
  specialization: string;
  requestedBy: string;
  reason: string;
}

export interface RollbackDeploymentResult {
  /** The deployment serving again (the backup), or null when there was none. */
  restoredDeploymentId: string | null;
  reason: string;
}

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const relay = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: RELAYCORE_RETRY });

/** Puts a promoted deployment's backup back as stable. Runs under `deployment-<specialization>`, so never beside a rollout. */
export async function rollbackDeployment(input: RollbackDeploymentInput): Promise<RollbackDeploymentResult> {
  upsertSearchAttributes([{ key: NwStage, value: 'rolling-back' }]);
  const { restoredDeploymentId, restoredModelId } = await steps.restoreBackup({
    specialization: input.specialization,
    deploymentId: input.deploymentId,
    reason: `rolled back by ${input.requestedBy}: ${input.reason}`,
    requestedBy: input.requestedBy,
  });
  if (restoredModelId) {
    const route = relay.updateRelayCoreRoute({
      specialization: input.specialization,
      modelId: restoredModelId,
      reason: `rollback of deployment ${input.deploymentId}: ${input.reason}`,
      idempotencyKey: `${workflowInfo().workflowId}:${workflowInfo().runId}:route`,
    });
    if (patched('rollback-refusal-recorded')) {
      // A refusal (4xx) is recorded where the rollback is, and the rollback stands: routing here
      // already changed, and failing the workflow would only hide that RelayCore was not told.
      try {
        await route;
      } catch (err) {
        if (isCancellation(err)) throw err;
        const reason = undeliverableReason(err);
        await steps.recordDecision({
          deploymentId: input.deploymentId,
          decision: {
            key: 'undeliverable-rollback-route',
            kind: 'undeliverable',
            at: new Date().toISOString(),
            message: `RelayCore rollback route: ${reason}`,
          },
        });
        await steps.recordSwitchUndeliverable({ key: rollbackSwitchKey(input.deploymentId), reason });
      }
    } else {
      await route;
    }
  }
  upsertSearchAttributes([{ key: NwStage, value: 'rolled-back' }]);
  return { restoredDeploymentId, reason: input.reason };
}
