import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  defineSignal,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  startChild,
  uuid4,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { deployModel, deploymentWorkflowId } from './deploy-model';
import { DEFAULT_ANALYSIS, DEFAULT_STEPS } from './deployment-types';
import type { Activities, TrainingActivities } from '../activities';
import { FailureType } from './failures';
import { NwStage } from './search-attributes';
import { deployModelStart } from './workflow-starts';
import {
  initialProgress,
  TRAINING_PROGRESS_SIGNAL,
  type AutoDeployOutcome,
  type TrainingPipelineInput,
  type TrainingPipelineResult,
  type TrainingProgress,
  type TrainingProgressUpdate,
  type TrainingStage,
} from './training-types';

export * from './training-types';

/** Query: where the job is, with the trainer's latest epoch, loss, speed and ETA. */
export const progressQuery = defineQuery<TrainingProgress>('progress');
export const trainingProgressSignal = defineSignal<[TrainingProgressUpdate]>(TRAINING_PROGRESS_SIGNAL);

const steps = proxyActivities<Activities>({
  // Database and file steps: short, retried until the database is back.
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [FailureType.InvalidDataset],
  },
});

const evaluation = proxyActivities<Activities>({
  // Runs the whole holdout set through onnxruntime; minutes at most for our datasets.
  startToCloseTimeout: '15 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

function trainer(taskQueue: string) {
  return proxyActivities<TrainingActivities>({
    taskQueue,
    // A training run may take hours; liveness comes from heartbeats, not from this bound.
    startToCloseTimeout: '24 hours',
    // The activity heartbeats every second; a worker that died is noticed within this.
    heartbeatTimeout: '15 seconds',
    // Wait for the trainer to be stopped and its partial files removed before the job is cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '2 seconds',
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [FailureType.InvalidTrainingInput],
    },
  });
}

function describeFailure(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  // ActivityFailure wraps the ApplicationFailure that carries the real message.
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

export async function trainingPipeline(input: TrainingPipelineInput): Promise<TrainingPipelineResult> {
  const progress: TrainingProgress = { stage: 'queued', ...initialProgress(input.hyperparameters.epochs) };
  setHandler(progressQuery, () => progress);
  setHandler(trainingProgressSignal, (update) => {
    if (progress.stage === 'training') Object.assign(progress, update);
  });
  const enter = (stage: TrainingStage) => {
    progress.stage = stage;
    upsertSearchAttributes([{ key: NwStage, value: stage }]);
  };

  try {
    enter('validating-dataset');
    const dataset = await steps.validateTrainingDataset(input.dataset);
    await steps.markTrainingJobRunning(input.jobId);

    enter('training');
    const trained = await trainer(input.trainingTaskQueue).trainModel({
      jobId: input.jobId,
      trainer: input.trainer,
      datasetDir: dataset.datasetDir,
      labelField: 'specialization',
      hyperparameters: input.hyperparameters,
      gpus: input.resources.gpus,
      outputDir: `${input.name}/${input.jobId}`,
    });
    Object.assign(progress, trained.progress);
    progress.resumedFromCheckpoint ||= trained.resumedFromCheckpoint;

    enter('evaluating');
    const evaluated = await evaluation.evaluateTrainedModel({
      modelPath: trained.modelPath,
      manifestPath: trained.manifestPath,
      datasetDir: dataset.datasetDir,
    });

    enter('registering');
    const registered = await steps.registerTrainedModel({ input, dataset, trained, evaluation: evaluated });
    await steps.completeTrainingJob({
      jobId: input.jobId,
      modelId: registered.modelId,
      modelPath: trained.modelPath,
      trained,
      evaluation: evaluated,
    });
    enter('completed');
    upsertMemo({
      version: registered.version,
      modelId: registered.modelId,
      holdoutAccuracy: evaluated.holdoutAccuracy,
    });
    const autoDeploy = input.autoDeploy ? await startRollout(input, registered.modelId) : undefined;
    if (autoDeploy?.started) upsertMemo({ deploymentId: autoDeploy.deploymentId });
    return {
      jobId: input.jobId,
      modelId: registered.modelId,
      modelName: input.name,
      version: registered.version,
      modelPath: trained.modelPath,
      evaluation: evaluated,
      trainerMetrics: trained.metrics,
      autoDeploy,
    };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        enter('cancelled');
        await steps.finishTrainingJob({
          jobId: input.jobId,
          status: 'cancelled',
          message: 'cancelled by request',
          outputDir: `${input.name}/${input.jobId}`,
        });
      });
      throw err;
    }
    const message = describeFailure(err);
    enter('failed');
    await steps.finishTrainingJob({
      jobId: input.jobId,
      status: 'failed',
      message,
      outputDir: `${input.name}/${input.jobId}`,
    });
    throw ApplicationFailure.nonRetryable(message, FailureType.TrainingFailed);
  }
}

/**
 * autoDeploy: the registered model's rollout as its own deployModel workflow (ID
 * deployment-<specialization>), left running when this job completes. A rollout already running
 * for the specialization is not overridden: the job completes and says so.
 */
async function startRollout(input: TrainingPipelineInput, modelId: string): Promise<AutoDeployOutcome> {
  const deploymentId = uuid4();
  const workflowId = deploymentWorkflowId(input.specialization);
  const options = input.deploy ?? {
    steps: DEFAULT_STEPS,
    analysis: DEFAULT_ANALYSIS,
    requireApproval: false,
    approvalTimeoutSeconds: 3600,
    onApprovalTimeout: 'rollback' as const,
  };
  try {
    await startChild(deployModel, {
      ...deployModelStart(
        {
          deploymentId,
          modelId,
          specialization: input.specialization,
          requestedBy: input.requestedBy ?? `training:${input.jobId}`,
          ...options,
        },
        { name: input.name },
      ),
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return { started: true, deploymentId, workflowId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return { started: false, reason: `a rollout of ${input.specialization} is already running (${workflowId})` };
    throw err;
  }
}
