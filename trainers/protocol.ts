/** The trainer contract's stdout lines (trainers/CONTRACT.md), shared by the builtin trainer and the activity. */

export interface ProgressLine {
  type: 'progress';
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  loss: number;
  samplesPerSec: number;
}
export interface CheckpointLine {
  type: 'checkpoint';
  path: string;
  epoch: number;
}
export interface MetricsLine {
  type: 'metrics';
  [metric: string]: number | string;
}
export interface ArtifactLine {
  type: 'artifact';
  path: string;
  format: 'onnx';
  manifestPath: string;
}
export interface LogLine {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export type TrainerLine = ProgressLine | CheckpointLine | MetricsLine | ArtifactLine | LogLine;

export interface TrainerJob {
  jobId: string;
  datasetDir: string;
  outputDir: string;
  checkpointDir: string;
  labelField: string;
  hyperparameters: Hyperparameters;
  resumeFrom?: { path: string; epoch: number };
}

export interface Hyperparameters {
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  seed?: number;
  hiddenUnits?: number;
  l2?: number;
}

/** Exit code for bad input: the activity fails the job without retrying. */
export const EXIT_BAD_INPUT = 2;

export function parseTrainerLine(line: string): TrainerLine | undefined {
  try {
    const value = JSON.parse(line) as TrainerLine;
    return value && typeof value === 'object' && typeof value.type === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
