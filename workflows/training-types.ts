/**
 * The plain, serialisable shapes of the training pipeline, shared by the workflow, its activities
 * and the API. No SDK imports: activities import this without pulling in workflow code.
 */
import type { ResolvedHyperparameters } from '../ml/hyperparameters';
import type { DeployModelInput } from './deployment-types';

export type TrainerKind = 'builtin' | 'torch';

export const trainingWorkflowId = (jobId: string) => `training-${jobId}`;

export interface TrainingPipelineInput {
  jobId: string;
  name: string;
  specialization: string;
  baseModel: string;
  dataset: string;
  trainer: TrainerKind;
  hyperparameters: ResolvedHyperparameters;
  resources: { gpus: number };
  /** Roll the registered model out (deployModel, its own workflow) once it is registered. */
  autoDeploy: boolean;
  /** How to roll it out when autoDeploy is set: the deploy route's options judged against the gate policy when the job was asked for. */
  deploy?: AutoDeployOptions;
  /** Who asked for the job (the rollout is requested on their behalf). */
  requestedBy?: string;
  /** Where trainModel runs: the queue of workers that hold GPU slots (TEMPORAL_TRAINING_TASK_QUEUE). */
  trainingTaskQueue: string;
}

export type TrainingStage =
  'queued' | 'validating-dataset' | 'training' | 'evaluating' | 'registering' | 'completed' | 'failed' | 'cancelled';

export interface TrainingProgressUpdate {
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  samplesPerSec: number | null;
  /** Seconds left at the current speed; null until known. */
  eta: number | null;
  resumedFromCheckpoint: boolean;
  lastCheckpointEpoch: number | null;
  /** The loss at the end of each epoch so far, oldest first (absent in runs from before it was kept). */
  epochs?: EpochLoss[];
}

export interface EpochLoss {
  epoch: number;
  loss: number | null;
}

export interface TrainingProgress extends TrainingProgressUpdate {
  stage: TrainingStage;
}

/** Progress before the trainer has said anything (or right after resuming from `resumedAt`). */
export function initialProgress(totalEpochs: number, resumedAt?: number): TrainingProgressUpdate {
  return {
    epoch: resumedAt ?? 0,
    totalEpochs,
    step: 0,
    totalSteps: 0,
    loss: null,
    samplesPerSec: null,
    eta: null,
    resumedFromCheckpoint: resumedAt !== undefined,
    lastCheckpointEpoch: resumedAt ?? null,
    epochs: [],
  };
}

/** Sent by the trainModel activity to its workflow, at most every few seconds. */
export const TRAINING_PROGRESS_SIGNAL = 'trainingProgress';

export interface DatasetSummary {
  name: string;
  datasetDir: string;
  labels: string[];
  trainExamples: number;
  holdoutExamples: number;
}

export interface TrainModelInput {
  jobId: string;
  trainer: TrainerKind;
  datasetDir: string;
  labelField: string;
  hyperparameters: ResolvedHyperparameters;
  gpus: number;
  /** Relative to MODEL_STORAGE_PATH. */
  outputDir: string;
}

export interface TrainModelResult {
  /** Relative to MODEL_STORAGE_PATH. */
  modelPath: string;
  manifestPath: string;
  /** The model file's SHA-256 and size (absent in histories from before the artifact store). */
  artifact?: { sha256: string; sizeBytes: number };
  metrics: Record<string, number>;
  resumedFromCheckpoint: boolean;
  device: string;
  startedAt: string;
  finishedAt: string;
  /** The trainer's last progress: the workflow's query shows it even though signals are throttled. */
  progress?: TrainingProgressUpdate;
}

export interface Evaluation {
  holdoutAccuracy: number;
  perLabelAccuracy: Record<string, number>;
  macroF1: number;
  examples: number;
  meanLatencyMs: number;
}

export interface RegisteredModel {
  modelId: string;
  version: string;
}

export type AutoDeployOptions = Pick<
  DeployModelInput,
  | 'steps'
  | 'analysis'
  | 'requireApproval'
  | 'approvalTimeoutSeconds'
  | 'onApprovalTimeout'
  | 'watch'
  | 'fourEyes'
  | 'gate'
>;

/** What autoDeploy did: the rollout started, or why none was. */
export type AutoDeployOutcome =
  { started: true; deploymentId: string; workflowId: string } | { started: false; reason: string };

export interface TrainingPipelineResult {
  jobId: string;
  modelId: string;
  modelName: string;
  version: string;
  modelPath: string;
  evaluation: Evaluation;
  trainerMetrics: Record<string, number>;
  autoDeploy?: AutoDeployOutcome;
}
