import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { EXIT_BAD_INPUT, type TrainerJob } from '../../trainers/protocol';
import { FailureType } from '../../workflows/failures';
import {
  initialProgress,
  TRAINING_PROGRESS_SIGNAL,
  type TrainerKind,
  type TrainingProgressUpdate,
  type TrainModelInput,
  type TrainModelResult,
} from '../../workflows/training-types';
import type { TrainingJobStore } from '../../db/stores/training-jobs';
import { checkpointDirFor, insideStorage } from '../../storage/paths';
import { startTrainer } from './trainer-process';
import type { ArtifactStore } from '../../storage/artifact-store';
import { publishFile } from '../../storage/publish';
import { checkpointShipper, resumePoint, type StoredCheckpoint } from './checkpoints';

/** A GPU (or the CPU) lent to one training activity; the worker decides how (worker/gpu-slots.ts). */
export interface GpuLease {
  /** The value for CUDA_VISIBLE_DEVICES: a GPU index, or '' for a CPU job. */
  cudaVisibleDevices: string;
  device: string;
  release(): void;
}

export interface GpuAllocator {
  acquire(wantsGpu: boolean): GpuLease;
}

export interface TrainingDeps {
  /** Where trainers write on this machine (outputs, checkpoints). */
  modelStoragePath: string;
  /** Where finished models are published (the same directory by default, or a bucket). */
  artifacts: ArtifactStore;
  /** Signals the workflow with progress (its query reads the latest). */
  temporal: Client;
  gpuSlots: GpuAllocator;
  /** Where the trainer's log lines are kept (the job's row). */
  trainingJobs: TrainingJobStore;
  pythonPath: string;
  /** How long a trainer has after SIGTERM before SIGKILL. */
  trainerGraceMs: number;
}

/** What survives a worker crash in the activity's heartbeat: where to resume from. */
export interface TrainHeartbeat {
  /** The last checkpoint that reached the artifact store (`key`; absent in heartbeats from before the store). */
  lastCheckpoint: StoredCheckpoint | null;
  progress?: Partial<TrainingProgressUpdate>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const MAX_STDERR_CHARS = 16 * 1024;
const SIGNAL_EVERY_MS = 2_000;
const HEARTBEAT_EVERY_MS = 1_000;

export function trainerCommand(
  trainer: TrainerKind,
  pythonPath: string,
  jobFile: string,
): { command: string; args: string[] } {
  return trainer === 'builtin'
    ? { command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'trainers/builtin/main.ts'), jobFile] }
    : { command: pythonPath, args: [path.join(ROOT, 'trainers/torch/train.py'), jobFile] };
}

export function createTrainingActivities(deps: TrainingDeps) {
  return {
    /**
     * Runs one trainer process to the end, heartbeating its progress and last checkpoint. A retry
     * (after a worker crash) resumes from that checkpoint; a cancellation stops the trainer and
     * removes what it wrote.
     */
    async trainModel(input: TrainModelInput): Promise<TrainModelResult> {
      const ctx = Context.current();
      const workflowId = ctx.info.workflowExecution?.workflowId;
      const previous = ctx.info.heartbeatDetails as TrainHeartbeat | undefined;
      const outputDir = insideStorage(deps.modelStoragePath, input.outputDir);
      const checkpointDir = checkpointDirFor(deps.modelStoragePath, input.jobId);
      await fs.mkdir(checkpointDir, { recursive: true });
      // This machine's file, or the store's copy when the attempt before ran on another machine.
      const resumeFrom = await resumePoint(deps.artifacts, previous?.lastCheckpoint, checkpointDir);
      const job: TrainerJob = {
        jobId: input.jobId,
        datasetDir: input.datasetDir,
        outputDir,
        checkpointDir,
        labelField: input.labelField,
        hyperparameters: input.hyperparameters,
        ...(resumeFrom ? { resumeFrom } : {}),
      };
      const jobFile = path.join(checkpointDir, `job-attempt-${ctx.info.attempt}.json`);
      await fs.writeFile(jobFile, JSON.stringify(job, null, 2));

      const lease = deps.gpuSlots.acquire(input.gpus > 0);
      const startedAt = new Date().toISOString();
      const state: TrainHeartbeat = { lastCheckpoint: resumeFrom ? previous!.lastCheckpoint : null };
      const progress = initialProgress(input.hyperparameters.epochs, resumeFrom?.epoch);
      // A resumed run keeps the epochs it had finished before (what its checkpoint holds).
      if (resumeFrom) progress.epochs = (previous?.progress?.epochs ?? []).filter((e) => e.epoch <= resumeFrom.epoch);
      let metrics: Record<string, number> = {};
      let artifact: { path: string; manifestPath: string } | undefined;
      let lastError = '';
      let pendingLogs = `[attempt ${ctx.info.attempt}] ${input.trainer} trainer on ${lease.device}${resumeFrom ? `, resuming after epoch ${resumeFrom.epoch}` : ''}\n`;
      let stderrTail = '';

      let lastSignal = 0;
      const signalProgress = (force = false) => {
        if (!workflowId || (!force && Date.now() - lastSignal < SIGNAL_EVERY_MS)) return;
        lastSignal = Date.now();
        deps.temporal.workflow
          .getHandle(workflowId)
          .signal<[TrainingProgressUpdate]>(TRAINING_PROGRESS_SIGNAL, { ...progress })
          .catch((err: Error) => log.warn('progress signal not delivered', { error: err.message }));
      };
      const heartbeat = () => ctx.heartbeat({ ...state, progress });
      const checkpoints = checkpointShipper(deps.artifacts, input.jobId, (stored) => {
        state.lastCheckpoint = stored;
        heartbeat();
      });

      const trainer = startTrainer({
        ...trainerCommand(input.trainer, deps.pythonPath, jobFile),
        cwd: ROOT,
        env: { ...process.env, CUDA_VISIBLE_DEVICES: lease.cudaVisibleDevices, PYTHONUNBUFFERED: '1' },
        onLine: (line) => {
          switch (line.type) {
            case 'progress': {
              Object.assign(progress, {
                epoch: line.epoch,
                totalEpochs: line.totalEpochs,
                step: line.step,
                totalSteps: line.totalSteps,
                loss: line.loss,
                samplesPerSec: line.samplesPerSec,
              });
              const stepsLeft = line.totalSteps - line.step;
              const stepsPerSec = line.samplesPerSec > 0 ? line.samplesPerSec / input.hyperparameters.batchSize : 0;
              progress.eta = stepsPerSec > 0 ? Math.round(stepsLeft / stepsPerSec) : null;
              signalProgress();
              break;
            }
            case 'checkpoint':
              checkpoints.ship({ path: line.path, epoch: line.epoch });
              progress.lastCheckpointEpoch = line.epoch;
              progress.epochs = [
                ...(progress.epochs ?? []).filter((e) => e.epoch !== line.epoch),
                { epoch: line.epoch, loss: progress.loss },
              ];
              heartbeat();
              signalProgress(true);
              break;
            case 'metrics':
              metrics = Object.fromEntries(
                Object.entries(line).filter((e): e is [string, number] => typeof e[1] === 'number'),
              );
              break;
            case 'artifact':
              artifact = { path: line.path, manifestPath: line.manifestPath };
              break;
            case 'log':
              pendingLogs += `[${line.level}] ${line.message}\n`;
              if (line.level === 'error') lastError = line.message;
              break;
          }
        },
        onInvalidLine: (text) => (pendingLogs += `[stdout] ${text.slice(0, 500)}\n`),
        onStderr: (text) => {
          stderrTail = (stderrTail + text).slice(-MAX_STDERR_CHARS);
          pendingLogs += text;
        },
      });

      const flushLogs = async () => {
        const text = pendingLogs;
        pendingLogs = '';
        await deps.trainingJobs
          .appendLogs(input.jobId, text)
          .catch((err: Error) => log.warn('could not store trainer logs', { error: err.message }));
      };
      const ticker = setInterval(() => {
        heartbeat();
        void flushLogs();
      }, HEARTBEAT_EVERY_MS);
      const onCancel = () => void trainer.stop(deps.trainerGraceMs);
      ctx.cancellationSignal.addEventListener('abort', onCancel);

      const exit = await trainer.exited.finally(() => {
        clearInterval(ticker);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        lease.release();
      });
      pendingLogs += `[attempt ${ctx.info.attempt}] trainer exited (${exit.code ?? exit.signal})\n`;
      await flushLogs();

      if (ctx.cancellationSignal.aborted) {
        await fs.rm(outputDir, { recursive: true, force: true });
        throw ctx.cancellationSignal.reason;
      }
      if (exit.code === EXIT_BAD_INPUT) {
        throw ApplicationFailure.nonRetryable(
          lastError || 'the trainer rejected its input',
          FailureType.InvalidTrainingInput,
        );
      }
      if (exit.code !== 0 || !artifact) {
        const why = lastError || stderrTail.trim().split('\n').slice(-3).join(' | ') || 'no output';
        // Retryable: the next attempt resumes from the last checkpoint.
        throw new Error(`${input.trainer} trainer exited with ${exit.code ?? exit.signal}: ${why}`);
      }
      // Keys in the store are the files' paths under MODEL_STORAGE_PATH, as before there was a store.
      const modelPath = path.relative(deps.modelStoragePath, artifact.path).split(path.sep).join('/');
      const manifestPath = path.relative(deps.modelStoragePath, artifact.manifestPath).split(path.sep).join('/');
      const [published] = await Promise.all([
        publishFile(deps.artifacts, modelPath, artifact.path),
        publishFile(deps.artifacts, manifestPath, artifact.manifestPath),
        checkpoints.drained(),
      ]);
      // Published to a remote store: this machine's copies were scratch.
      if (deps.artifacts.localPath(modelPath) === undefined) {
        await fs.rm(outputDir, { recursive: true, force: true });
        await fs.rm(checkpointDir, { recursive: true, force: true });
      }
      return {
        modelPath,
        manifestPath,
        artifact: published,
        metrics,
        resumedFromCheckpoint: progress.resumedFromCheckpoint,
        device: lease.device,
        startedAt,
        finishedAt: new Date().toISOString(),
        progress: { ...progress },
      };
    },
  };
}
