import type { SearchAttributePair } from '@temporalio/common';
import type { AlertChange } from './alert-delivery';
import { alertDeliveryWorkflowId } from './alert-delivery';
import { deploymentWorkflowId } from './deploy-model';
import type { DeployModelInput } from './deployment-types';
import type { RollbackDeploymentInput } from './rollback-deployment';
import { NwKind, NwModelId, NwModelName, NwSpecialization, NwStage } from './search-attributes';
import { trainingWorkflowId, type TrainingPipelineInput } from './training-types';
import { validationWorkflowId } from './validate-model';
import { watchdogWorkflowId } from './watchdog/messages';

/**
 * What each workflow is started with — its ID, arguments, search attributes (what the Web UI finds
 * it by) and memo (what the API's routes find a run by) — in one place for every caller: the API's
 * starters (temporal/starters.ts), the training pipeline's child rollout, the watchdog supervisor.
 * Pure and workflow-safe: the training pipeline uses it inside the sandbox.
 */

type SearchAttributes = SearchAttributePair[];

export const validateModelStart = (model: { id: string; name: string; specialization: string | null }) => ({
  workflowId: validationWorkflowId(model.id),
  args: [{ modelId: model.id }] as [{ modelId: string }],
  typedSearchAttributes: [
    { key: NwKind, value: 'validation' },
    { key: NwModelId, value: model.id },
    { key: NwModelName, value: model.name },
    ...(model.specialization ? [{ key: NwSpecialization, value: model.specialization }] : []),
    { key: NwStage, value: 'queued' },
  ] as SearchAttributes,
});

export const trainingPipelineStart = (input: TrainingPipelineInput, createdBy: string | null) => ({
  workflowId: trainingWorkflowId(input.jobId),
  args: [input] as [TrainingPipelineInput],
  typedSearchAttributes: [
    { key: NwKind, value: 'training' },
    { key: NwModelName, value: input.name },
    { key: NwSpecialization, value: input.specialization },
    { key: NwStage, value: 'queued' },
  ] as SearchAttributes,
  memo: { jobId: input.jobId, name: input.name, trainer: input.trainer, dataset: input.dataset, createdBy },
});

/** A rollout; `memo.deploymentId` is how the approve, abort and rollback routes find its run. */
export const deployModelStart = (input: DeployModelInput, model: { name: string; version?: string }) => ({
  workflowId: deploymentWorkflowId(input.specialization),
  args: [input] as [DeployModelInput],
  typedSearchAttributes: [
    { key: NwKind, value: 'deployment' },
    { key: NwModelId, value: input.modelId },
    { key: NwModelName, value: model.name },
    { key: NwSpecialization, value: input.specialization },
    { key: NwStage, value: 'staging' },
  ] as SearchAttributes,
  memo: {
    deploymentId: input.deploymentId,
    modelId: input.modelId,
    ...(model.version === undefined ? {} : { version: model.version }),
  },
});

/** A promoted deployment's rollback: under the rollout's ID, so neither runs beside the other. */
export const rollbackDeploymentStart = (input: RollbackDeploymentInput, modelId: string) => ({
  workflowId: deploymentWorkflowId(input.specialization),
  args: [input] as [RollbackDeploymentInput],
  typedSearchAttributes: [
    { key: NwKind, value: 'deployment' },
    { key: NwModelId, value: modelId },
    { key: NwSpecialization, value: input.specialization },
    { key: NwStage, value: 'rolling-back' },
  ] as SearchAttributes,
  memo: { deploymentId: input.deploymentId, rollback: true },
});

export const deliverAlertChangeStart = (change: AlertChange, specialization: string | null) => ({
  workflowId: alertDeliveryWorkflowId(change),
  args: [change] as [AlertChange],
  typedSearchAttributes: [
    { key: NwKind, value: 'alert-delivery' },
    ...(specialization ? [{ key: NwSpecialization, value: specialization }] : []),
  ] as SearchAttributes,
});

export const performanceWatchdogStart = (specialization: string) => ({
  workflowId: watchdogWorkflowId(specialization),
  args: [{ specialization }] as [{ specialization: string }],
  typedSearchAttributes: [
    { key: NwKind, value: 'watchdog' },
    { key: NwSpecialization, value: specialization },
  ] as SearchAttributes,
});
