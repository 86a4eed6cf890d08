import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { openArtifacts } from '../storage';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import type { WorkflowHandle } from '@temporalio/client';
import type { TrainHeartbeat } from '../activities/training/train';
import { modelsOf } from '../db/models';
import { progressQuery } from '../workflows/training-pipeline';
import { createTestApp, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { eventually, getJob, makeDatasetsDir, startJob } from './helpers/training';
import { recordHistory } from './helpers/histories';
import { bearer, tokenFor } from './helpers/tokens';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';
import { onAnotherMachine } from './helpers/machines';

const trainerAlive = (pattern: string) => {
  try {
    execFileSync('pgrep', ['-f', pattern]);
    return true;
  } catch {
    return false;
  }
};

/** The checkpoint the server holds in trainModel's last heartbeat: what a retry resumes from. */
async function heartbeatCheckpoint(handle: WorkflowHandle): Promise<TrainHeartbeat['lastCheckpoint']> {
  const pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'trainModel');
  const payload = pending?.heartbeatDetails?.payloads?.[0]?.data;
  return payload ? (JSON.parse(Buffer.from(payload).toString()) as TrainHeartbeat).lastCheckpoint : null;
}

describe('a worker killed mid-training', () => {
  jest.setTimeout(240_000);
  let t: TestApp;
  const workers: WorkerProcess[] = [];
  const writer = bearer(tokenFor('write', 'crash-tester'));

  beforeAll(async () => {
    t = await createTestApp({ NW_DATASETS_DIR: makeDatasetsDir() });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await t.close();
  });

  it('resumes from the last checkpoint on a new worker and registers exactly one version', async () => {
    workers.push(await startWorkerProcess(t.config));
    const name = uniqueName('crash');
    const job = await startJob(t, writer, {
      name,
      specialization: 'service-advisor',
      hyperparameters: { epochs: 400, batchSize: 1 },
    });

    // Wait until the server holds a heartbeat with a checkpoint: that is what a retry resumes from.
    const handle = t.temporal.workflow.getHandle(job.workflowId);
    const checkpointEpoch = (await eventually(
      () => heartbeatCheckpoint(handle),
      (c) => (c?.epoch ?? 0) >= 3,
      120_000,
    ))!.epoch;
    await workers[0].kill('SIGKILL');
    // The orphaned trainer sees its stdin close and stops: no two trainers write the same files.
    await eventually(
      async () => trainerAlive(`${job.jobId}/job-attempt-1.json`),
      (alive) => !alive,
      10_000,
    );

    workers.push(await startWorkerProcess(t.config));
    await t.temporal.workflow.getHandle(job.workflowId).result();
    await recordHistory(t.temporal.workflow.getHandle(job.workflowId), 'training-resumed-after-worker-crash');

    const after = await getJob(t, writer, job.jobId);
    expect(after.status).toBe('completed');
    expect(after.metrics.training!.resumedFromCheckpoint).toBe(true);
    const progress = await t.temporal.workflow.getHandle(job.workflowId).query(progressQuery);
    expect(progress).toMatchObject({ stage: 'completed', resumedFromCheckpoint: true, epoch: 400 });
    const logs = (
      (await (await t.app.request(`/api/v1/training/jobs/${job.jobId}/logs`, { headers: writer })).json()) as {
        logs: string;
      }
    ).logs;
    const resumedAt = Number(logs.match(/resuming after epoch (\d+)/)?.[1]);
    // Not from epoch 0: from the checkpoint the server had from the first worker (or a later one).
    expect(resumedAt).toBeGreaterThanOrEqual(checkpointEpoch);
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name } })).toBe(1);
  });
});

/**
 * The same crash on the S3 store, and the next attempt on another machine (its own disk): it finds
 * the last checkpoint in the bucket, not on a disk it never had.
 */
describe('a training worker killed mid-training, resumed on another machine (S3 store)', () => {
  jest.setTimeout(240_000);
  let s3: S3TestServer;
  let t: TestApp;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];
  const writer = bearer(tokenFor('write', 'crash-tester'));

  beforeAll(async () => {
    s3 = await startS3Server();
    const bucket = await s3.bucket(`nw-crash-${Date.now()}`);
    env = s3.storeEnv(bucket, 'models');
    t = await createTestApp({ ...env, NW_DATASETS_DIR: makeDatasetsDir() });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await t?.close();
    await s3?.stop();
  });

  it('resumes from the checkpoint in the bucket and removes the checkpoints once the model is registered', async () => {
    workers.push(await startWorkerProcess(onAnotherMachine(t.config), env));
    const job = await startJob(t, writer, {
      name: uniqueName('crash-s3'),
      specialization: 'service-advisor',
      hyperparameters: { epochs: 400, batchSize: 1 },
    });
    const handle = t.temporal.workflow.getHandle(job.workflowId);
    const checkpoint = (await eventually(
      () => heartbeatCheckpoint(handle),
      (c) => (c?.epoch ?? 0) >= 3,
      120_000,
    ))!;
    // Named in the heartbeat only once it reached the bucket.
    expect(checkpoint.key).toBe(`.checkpoints/${job.jobId}/${path.basename(checkpoint.path)}`);
    const store = openArtifacts(t.config).store;
    expect(await store.stat(checkpoint.key!)).toBeDefined();
    await workers[0].kill('SIGKILL');

    workers.push(await startWorkerProcess(onAnotherMachine(t.config), env));
    await handle.result();
    const after = await getJob(t, writer, job.jobId);
    expect(after.status).toBe('completed');
    expect(after.metrics.training!.resumedFromCheckpoint).toBe(true);
    const logs = (
      (await (await t.app.request(`/api/v1/training/jobs/${job.jobId}/logs`, { headers: writer })).json()) as {
        logs: string;
      }
    ).logs;
    expect(Number(logs.match(/resuming after epoch (\d+)/)?.[1])).toBeGreaterThanOrEqual(checkpoint.epoch);
    expect(await store.stat(checkpoint.key!)).toBeUndefined();
  });
});
