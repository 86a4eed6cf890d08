import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../../config/env';
import type { Deployment, ModelRecord } from '../../db/models';
import type { Stores } from '../../db/stores';
import { startDeployModel, startRollbackDeployment } from '../../temporal/starters';
import { abortSignal, deploymentWorkflowId } from '../../workflows/deploy-model';
import type { DeployModelInput } from '../../workflows/deployment-types';
import { conflict } from '../errors';

/** Where a rollout or rollback runs: its workflow and, when known, the run. */
export interface RolloutRun {
  workflowId: string;
  runId?: string;
}

/**
 * Starting, finding and rolling back rollouts: what the deployment routes do beyond checking the
 * caller and shaping the answer. Conflicts with a running rollout are 409s naming it.
 */
export function createDeploymentService({
  config,
  temporal,
  stores,
}: {
  config: Config;
  temporal: Client;
  stores: Stores;
}) {
  const taskQueue = config.temporal.taskQueue;

  /** The handle of this deployment's own run (the workflow ID is reused by later rollouts). */
  async function runningHandle(deployment: Deployment) {
    const handle = temporal.workflow.getHandle(deployment.workflowId!);
    try {
      const description = await handle.describe();
      // Pinned to that run: a signal must not reach a later rollout under the same workflow ID.
      if (description.status.name === 'RUNNING' && description.memo?.deploymentId === deployment.id)
        return temporal.workflow.getHandle(deployment.workflowId!, description.runId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    return undefined;
  }

  /** Starts the rollout and records its row, so GET /deployments/{id} knows it as soon as the caller does. */
  async function startRollout(
    input: DeployModelInput,
    model: Pick<ModelRecord, 'name' | 'version'>,
  ): Promise<RolloutRun> {
    const workflowId = deploymentWorkflowId(input.specialization);
    try {
      const handle = await startDeployModel(temporal, taskQueue, input, model);
      await stores.deployments.record(input, workflowId);
      return { workflowId, runId: handle.firstExecutionRunId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const running = await temporal.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined);
      throw conflict(`a rollout for ${input.specialization} is already running`, {
        workflowId,
        runId: running?.runId,
        deploymentId: running?.memo?.deploymentId,
      });
    }
  }

  /**
   * A rollout still running is stopped (one that promoted and still delivers rolls back in its own
   * workflow, which cannot be started beside); a promoted deployment hands traffic back to its
   * backup in a rollbackDeployment workflow. `reload` reads the deployment again when its run ended
   * meanwhile.
   */
  async function rollBack(
    deployment: Deployment,
    by: string,
    reason: string,
    reload: () => Promise<Deployment>,
  ): Promise<RolloutRun> {
    let d = deployment;
    const handle = await runningHandle(d);
    if (handle) {
      try {
        await handle.signal(abortSignal, { by, reason });
        return { workflowId: d.workflowId! };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        d = await reload(); // it ended meanwhile: roll back what it left
      }
    }
    if (d.status !== 'promoted') throw conflict(`the deployment is ${d.status}: nothing to roll back`);
    try {
      const started = await startRollbackDeployment(
        temporal,
        taskQueue,
        { deploymentId: d.id, specialization: d.specialization, requestedBy: by, reason },
        d.modelId,
      );
      return { workflowId: started.workflowId, runId: started.firstExecutionRunId };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw conflict(`a rollout for ${d.specialization} is running; abort it first`);
      throw err;
    }
  }

  return { runningHandle, startRollout, rollBack };
}
