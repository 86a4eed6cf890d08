import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import { createActivities, createTrainingWorkerActivities, type ActivityDeps } from '../activities';
import { resolveJwtSecret } from '../config/dev-secret';
import { createStores } from '../db/stores';
import { createTrainingJobStore } from '../db/stores/training-jobs';
import type { Config } from '../config/env';
import { detectGpuCount, GpuSlots } from './gpu-slots';
import { activityTracing, workflowTracing } from '../temporal/tracing';
import { openArtifacts } from '../storage';

/** The main queue's activity dependencies, from the configuration. */
export function activityDeps(sequelize: Sequelize, config: Config, temporal?: Client): ActivityDeps {
  return {
    stores: createStores(sequelize, config),
    modelStoragePath: config.modelStoragePath,
    artifacts: openArtifacts(config),
    datasetsDir: config.training.datasetsDir,
    relaycoreUrl: config.relaycoreUrl,
    serviceUrl: `http://localhost:${config.port}`,
    apiUrl: config.apiUrl,
    jwtSecret: resolveJwtSecret(config),
    jwtParty: config.jwtParty,
    thresholdsFile: config.thresholdsFile,
    alertWebhookUrl: config.alertWebhookUrl,
    temporal,
    taskQueue: config.temporal.taskQueue,
  };
}

export interface CreateWorkersOptions {
  connection: NativeConnection;
  /** For activities that signal their workflow (training progress). */
  temporal: Client;
  sequelize: Sequelize;
  config: Config;
  /** A prebuilt bundle (tests build one per run); otherwise the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/**
 * The workers of one process, by NW_WORKER_QUEUES: `neuroweaver` (every workflow and the short
 * activities) and `neuroweaver-training` (trainModel only, as many at once as there are GPU slots —
 * or NW_CPU_TRAINING_CONCURRENCY CPU jobs on a machine without GPUs).
 */
export async function createWorkers({
  connection,
  temporal,
  sequelize,
  config,
  workflowBundle,
}: CreateWorkersOptions): Promise<Worker[]> {
  const { namespace, taskQueue, trainingTaskQueue } = config.temporal;
  const workers: Worker[] = [];
  if (config.workerQueues !== 'training') {
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue,
        ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
        activities: createActivities(activityDeps(sequelize, config, temporal)),
        ...workflowTracing({ prebuiltBundle: workflowBundle !== undefined }),
        // Lets in-flight activities finish (and record their results) before the process exits.
        shutdownGraceTime: '10 seconds',
      }),
    );
  }
  if (config.workerQueues !== 'main') {
    const gpus = detectGpuCount(config.training.gpuSlots);
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue: trainingTaskQueue,
        interceptors: activityTracing(),
        activities: createTrainingWorkerActivities({
          modelStoragePath: config.modelStoragePath,
          artifacts: openArtifacts(config).store,
          temporal,
          gpuSlots: new GpuSlots(gpus),
          trainingJobs: createTrainingJobStore(sequelize),
          pythonPath: config.training.pythonPath,
          trainerGraceMs: config.training.trainerGraceMs,
        }),
        maxConcurrentActivityTaskExecutions: gpus > 0 ? gpus : config.training.cpuConcurrency,
        // Progress and checkpoints reach the server within a second: a crash loses at most that.
        maxHeartbeatThrottleInterval: '1 second',
        defaultHeartbeatThrottleInterval: '1 second',
        // On shutdown a trainer gets this long to finish; then it is cancelled and resumes elsewhere.
        shutdownGraceTime: '30 seconds',
      }),
    );
  }
  return workers;
}
