import type { Client } from '@temporalio/client';
import { deliverAlertChange, type AlertChange } from '../workflows/alert-delivery';
import { deployModel } from '../workflows/deploy-model';
import type { DeployModelInput } from '../workflows/deployment-types';
import { rollbackDeployment, type RollbackDeploymentInput } from '../workflows/rollback-deployment';
import { trainingPipeline } from '../workflows/training-pipeline';
import type { TrainingPipelineInput } from '../workflows/training-types';
import { validateModel } from '../workflows/validate-model';
import { performanceWatchdog } from '../workflows/watchdog/performance-watchdog';
import {
  deliverAlertChangeStart,
  deployModelStart,
  performanceWatchdogStart,
  rollbackDeploymentStart,
  trainingPipelineStart,
  validateModelStart,
} from '../workflows/workflow-starts';

/**
 * One typed start per workflow, for every caller outside workflows: what it is started with comes
 * from workflows/workflow-starts.ts, and how a second start of the same ID is answered is decided
 * here, once. A conflict policy of FAIL throws WorkflowExecutionAlreadyStartedError for the caller
 * to answer (a 409); USE_EXISTING joins the run already there.
 */

/** A second request while one runs joins it instead of failing or running twice. */
export const startValidateModel = (
  client: Client,
  taskQueue: string,
  model: Parameters<typeof validateModelStart>[0],
) =>
  client.workflow.start(validateModel, {
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    ...validateModelStart(model),
  });

/**
 * A job's workflow runs once, however often its start is tried (the request, the outbox's
 * dispatcher, a retry with the same Idempotency-Key): a second start joins the run there, and one
 * after that run closed fails with WorkflowExecutionAlreadyStartedError rather than training again.
 */
export const startTrainingPipeline = (
  client: Client,
  taskQueue: string,
  input: TrainingPipelineInput,
  createdBy: string | null,
) =>
  client.workflow.start(trainingPipeline, {
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    ...trainingPipelineStart(input, createdBy),
  });

/** One rollout per specialization: a second one fails while the first runs. */
export const startDeployModel = (
  client: Client,
  taskQueue: string,
  input: DeployModelInput,
  model: { name: string; version: string },
) =>
  client.workflow.start(deployModel, {
    taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    ...deployModelStart(input, model),
  });

/** Under the rollout's ID: fails while a rollout (or another rollback) of the specialization runs. */
export const startRollbackDeployment = (
  client: Client,
  taskQueue: string,
  input: RollbackDeploymentInput,
  modelId: string,
) =>
  client.workflow.start(rollbackDeployment, {
    taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    ...rollbackDeploymentStart(input, modelId),
  });

/** Until it was delivered, a repeat joins the delivery already running. */
export const startDeliverAlertChange = (
  client: Client,
  taskQueue: string,
  change: AlertChange,
  specialization: string | null,
) =>
  client.workflow.start(deliverAlertChange, {
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    ...deliverAlertChangeStart(change, specialization),
  });

/** The supervisor's start of a watchdog that is not running (a running one makes this fail). */
export const startPerformanceWatchdog = (client: Client, taskQueue: string, specialization: string) =>
  client.workflow.start(performanceWatchdog, { taskQueue, ...performanceWatchdogStart(specialization) });
