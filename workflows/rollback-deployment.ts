import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
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

const steps = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

/** Puts a promoted deployment's backup back as stable. Runs under `deployment-<specialization>`, so never beside a rollout. */
export async function rollbackDeployment(input: RollbackDeploymentInput): Promise<RollbackDeploymentResult> {
  upsertSearchAttributes([{ key: NwStage, value: 'rolling-back' }]);
  const { restoredDeploymentId } = await steps.restoreBackup({ specialization: input.specialization, deploymentId: input.deploymentId, reason: `rolled back by ${input.requestedBy}: ${input.reason}` });
  upsertSearchAttributes([{ key: NwStage, value: 'rolled-back' }]);
  return { restoredDeploymentId, reason: input.reason };
}
