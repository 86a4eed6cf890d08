import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { modelsOf } from '../db/models';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { freePort } from '../support/ports';
import { startTrainingPipeline } from '../temporal/starters';
import { eventually, getJob, makeDatasetsDir, startJob, type JobView, type StartedJob } from './helpers/training';
import { recordHistory } from './helpers/histories';
import { bearer, tokenFor } from './helpers/tokens';
import { withWorker } from './helpers/worker';

describe('training pipeline (builtin trainer) through the API', () => {
  jest.setTimeout(180_000);
  let t: TestApp;
  const writer = bearer(tokenFor('write', 'trainer-user'));

  beforeAll(async () => {
    t = await createTestApp({ NW_DATASETS_DIR: makeDatasetsDir(), NW_GPU_SLOTS: '1', NW_TRAINER_GRACE_MS: '2000' });
  });
  afterAll(() => t.close());

  const result = (workflowId: string) => t.temporal.workflow.getHandle(workflowId).result();

  it('trains, evaluates and registers a new model version whose ONNX loads', async () => {
    const name = uniqueName('router');
    await withWorker(t.config, t.sequelize, async () => {
      const first = await startJob(t, writer, {
        name,
        specialization: 'automotive-sales',
        hyperparameters: { epochs: 4 },
      });
      expect(first.workflowId).toBe(`training-${first.jobId}`);
      await result(first.workflowId);
      await recordHistory(t.temporal.workflow.getHandle(first.workflowId), 'training-completed');
      const job = await getJob(t, writer, first.jobId);
      expect(job.status).toBe('completed');
      expect(job.metrics.holdoutAccuracy).toBeGreaterThan(0.8);
      const model = await modelsOf(t.sequelize).ModelRecord.findByPk(job.modelId!);
      expect(model).toMatchObject({ name, version: '1', specialization: 'automotive-sales', status: 'registered' });
      expect(model!.performanceMetrics).toMatchObject({ holdoutAccuracy: job.metrics.holdoutAccuracy });
      const session = await ort.InferenceSession.create(path.join(t.config.modelStoragePath, model!.modelPath!));
      expect(session.inputNames).toEqual(['features']);
      expect(session.outputNames).toEqual(['probabilities']);
      await session.release();
      const manifest = JSON.parse(
        fs.readFileSync(path.join(t.config.modelStoragePath, String(model!.config!.manifestPath)), 'utf8'),
      );
      expect(manifest).toMatchObject({
        trainer: 'builtin',
        labels: ['automotive-sales', 'parts-specialist', 'service-advisor'],
        featurizer: { dim: 4096 },
      });
      // Checkpoints are gone once the model is registered.
      expect(fs.existsSync(path.join(t.config.modelStoragePath, '.checkpoints', first.jobId))).toBe(false);
      const logs = (await (
        await t.app.request(`/api/v1/training/jobs/${first.jobId}/logs`, { headers: writer })
      ).json()) as { logs: string };
      expect(logs.logs).toContain('builtin trainer: 2400 train / 600 holdout examples');

      const second = await startJob(t, writer, {
        name,
        specialization: 'automotive-sales',
        hyperparameters: { epochs: 1 },
      });
      await result(second.workflowId);
      expect(
        (await modelsOf(t.sequelize).ModelRecord.findByPk((await getJob(t, writer, second.jobId)).modelId!))!.version,
      ).toBe('2');
    });
    const described = await t.temporal.workflow
      .getHandle(`training-${(await modelsOf(t.sequelize).TrainingJob.findOne({ where: { name } }))!.id}`)
      .describe();
    expect(described.memo).toMatchObject({ name, trainer: 'builtin', dataset: 'automotive-queries' });
  });

  it('is deterministic for a seed', async () => {
    await withWorker(t.config, t.sequelize, async () => {
      const body = {
        name: uniqueName('det'),
        specialization: 'parts-specialist',
        hyperparameters: { epochs: 2, seed: 7 },
      };
      const a = await startJob(t, writer, body);
      const b = await startJob(t, writer, body);
      await Promise.all([result(a.workflowId), result(b.workflowId)]);
      const [ja, jb] = await Promise.all([getJob(t, writer, a.jobId), getJob(t, writer, b.jobId)]);
      expect(ja.metrics.holdoutAccuracy).toBe(jb.metrics.holdoutAccuracy);
      expect(ja.metrics.loss).toBe(jb.metrics.loss);
      // The loss at the end of each epoch stays with the job once it completed (the console's chart).
      const curve = (job: JobView) => job.metrics.training!.epochs;
      expect(curve(ja).map((e) => e.epoch)).toEqual([1, 2]);
      expect(curve(ja)[1].loss).toBeLessThan(curve(ja)[0].loss);
      expect(curve(ja)).toEqual(curve(jb));
    });
  });

  it('fails a job on a bad dataset with a message that says what is wrong, registering nothing', async () => {
    const name = uniqueName('bad');
    await withWorker(t.config, t.sequelize, async () => {
      const job = await startJob(t, writer, { name, specialization: 'service-advisor', dataset: 'broken' });
      await expect(result(job.workflowId)).rejects.toThrow();
      await recordHistory(t.temporal.workflow.getHandle(job.workflowId), 'training-failed-bad-dataset');
      const view = await getJob(t, writer, job.jobId);
      expect(view.status).toBe('failed');
      expect(view.errorMessage).toBe('dataset "broken": train.jsonl line 3 is not valid JSON');
    });
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name } })).toBe(0);
  });

  it.each([
    [{ trainer: 'sklearn' }, 'body.trainer'],
    [{ hyperparameters: { epochs: 0 } }, 'body.hyperparameters.epochs'],
    [{ hyperparameters: { learningRate: -1 } }, 'body.hyperparameters.learningRate'],
    [{ hyperparameters: { momentum: 0.9 } }, 'body.hyperparameters'],
    [{ dataset: 'no-such-dataset' }, 'body.dataset'],
    [{ resources: { gpus: 2 } }, 'body.resources.gpus'],
    [{ autoDeploy: 'yes' }, 'body.autoDeploy'],
    [{ autoDeploy: true, deploy: { steps: [50] } }, 'body.deploy.steps'],
  ])('rejects %j with 400 naming %s, starting nothing', async (override, field) => {
    const before = await modelsOf(t.sequelize).TrainingJob.count();
    const res = await t.app.request(
      '/api/v1/training/jobs',
      json({ name: 'x', specialization: 'automotive-sales', ...override }, writer),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { fields: { field: string }[] } } };
    expect(body.error.details.fields.map((f) => f.field)).toContain(field);
    expect(await modelsOf(t.sequelize).TrainingJob.count()).toBe(before);
  });

  it('returns the same job for the same Idempotency-Key', async () => {
    const key = uniqueName('key');
    const body = { name: uniqueName('idem'), specialization: 'automotive-sales', hyperparameters: { epochs: 1 } };
    const a = await startJob(t, { ...writer, 'idempotency-key': key }, body);
    const b = await startJob(t, { ...writer, 'idempotency-key': key }, body);
    expect(b.jobId).toBe(a.jobId);
    expect(await modelsOf(t.sequelize).TrainingJob.count({ where: { name: body.name } })).toBe(1);
    const reused = await t.app.request(
      '/api/v1/training/jobs',
      json({ ...body, specialization: 'parts-specialist' }, { ...writer, 'idempotency-key': key }),
    );
    expect(reused.status).toBe(422);
    await withWorker(t.config, t.sequelize, () => result(a.workflowId));
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name: body.name } })).toBe(1);
    // A retry after the run closed finds the job, and nothing starts that run again: a start of
    // its workflow ID now fails rather than training a second time.
    expect(await startJob(t, { ...writer, 'idempotency-key': key }, body)).toMatchObject({
      jobId: a.jobId,
      workflowStarted: true,
    });
    const { workflowStart, createdBy } = (await t.stores.trainingJobs.byId(a.jobId))!;
    await expect(
      startTrainingPipeline(t.temporal, workflowStart!.taskQueue, workflowStart!.input, createdBy),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  });

  const SCRAPE_TOKEN = 'scrape-token-0123456789';
  /** An API process like this file's app whose Temporal does not answer. */
  const cutOffApp = async () =>
    createTestApp({
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_TASK_QUEUE: t.config.temporal.taskQueue,
      TEMPORAL_TRAINING_TASK_QUEUE: t.config.temporal.trainingTaskQueue,
      NW_DATASETS_DIR: t.config.training.datasetsDir,
      METRICS_TOKEN: SCRAPE_TOKEN,
    });

  it('keeps a job its API process could not start, and another process starts it once', async () => {
    const body = { name: uniqueName('outbox'), specialization: 'parts-specialist', hyperparameters: { epochs: 1 } };
    // An API process whose Temporal does not answer: the job is committed, its start is not sent.
    const cutOff = await cutOffApp();
    let accepted: StartedJob;
    try {
      const res = await cutOff.app.request('/api/v1/training/jobs', json(body, writer));
      expect(res.status).toBe(202);
      accepted = (await res.json()) as StartedJob;
      expect(accepted.workflowStarted).toBe(false);
      expect(await getJob(cutOff, writer, accepted.jobId)).toMatchObject({
        status: 'pending',
        workflowStartedAt: null,
      });
      // Operators see it waiting (TrainingJobsNotStarting fires when that lasts 10 minutes).
      const scraped = await (await cutOff.app.request('/metrics', { headers: bearer(SCRAPE_TOKEN) })).text();
      expect(Number(/^neuroweaver_training_jobs_awaiting_start (\d+)$/m.exec(scraped)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await cutOff.close(); // that process is gone
    }
    // The dispatcher of an API process that reaches Temporal (this file's app, on the same database).
    await eventually(
      () => getJob(t, writer, accepted.jobId),
      (job) => job.workflowStartedAt !== null,
      30_000,
    );
    await withWorker(t.config, t.sequelize, () => result(accepted.workflowId));
    expect((await getJob(t, writer, accepted.jobId)).status).toBe('completed');
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name: body.name } })).toBe(1);
  });

  it('sends the start of a keyed job made before the outbox and left pending when the client retries', async () => {
    const headers = { ...writer, 'idempotency-key': uniqueName('key') };
    const body = { name: uniqueName('pre-outbox'), specialization: 'service-advisor', hyperparameters: { epochs: 1 } };
    const cutOff = await cutOffApp();
    let jobId: string;
    try {
      jobId = ((await (await cutOff.app.request('/api/v1/training/jobs', json(body, headers))).json()) as StartedJob)
        .jobId;
    } finally {
      await cutOff.close();
    }
    // What such a job looks like after migration 0019: no start kept, counted as started.
    await t.sequelize.query(
      'UPDATE training_jobs SET workflow_start = NULL, workflow_started_at = created_at, start_not_before = NULL WHERE id = $1',
      { bind: [jobId] },
    );
    const retried = await startJob(t, headers, body);
    expect(retried.jobId).toBe(jobId);
    await withWorker(t.config, t.sequelize, () => result(retried.workflowId));
    expect((await getJob(t, writer, jobId)).status).toBe('completed');
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name: body.name } })).toBe(1);
  });

  it('cancels mid-training: trainer stopped, partial files removed, job cancelled', async () => {
    const name = uniqueName('cancel');
    await withWorker(t.config, t.sequelize, async () => {
      const job = await startJob(t, writer, {
        name,
        specialization: 'automotive-sales',
        hyperparameters: { epochs: 1000, batchSize: 1 },
      });
      const running = await eventually(
        () => getJob(t, writer, job.jobId),
        (j) => (j.progress?.lastCheckpointEpoch ?? 0) >= 1,
      );
      expect(running.progress).toMatchObject({ stage: 'training' });
      const cancel = await t.app.request(`/api/v1/training/jobs/${job.jobId}/cancel`, {
        method: 'POST',
        headers: writer,
      });
      expect(cancel.status).toBe(202);
      await expect(result(job.workflowId)).rejects.toThrow();
      await recordHistory(t.temporal.workflow.getHandle(job.workflowId), 'training-cancelled');
      const view = await getJob(t, writer, job.jobId);
      expect(view.status).toBe('cancelled');
      // No trainer process of this job is left (its command line names the job's checkpoint dir).
      expect(() => execFileSync('pgrep', ['-f', job.jobId])).toThrow();
      expect(fs.existsSync(path.join(t.config.modelStoragePath, name))).toBe(false);
      expect(fs.existsSync(path.join(t.config.modelStoragePath, '.checkpoints', job.jobId))).toBe(false);
      const again = await t.app.request(`/api/v1/training/jobs/${job.jobId}/cancel`, {
        method: 'POST',
        headers: writer,
      });
      expect(again.status).toBe(409);
    });
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name } })).toBe(0);
  });

  it('runs two GPU jobs one after the other on one GPU slot', async () => {
    await withWorker(t.config, t.sequelize, async () => {
      const jobs = await Promise.all(
        [1, 2].map(() =>
          startJob(t, writer, {
            name: uniqueName('slot'),
            specialization: 'automotive-sales',
            resources: { gpus: 1 },
            hyperparameters: { epochs: 3 },
          }),
        ),
      );
      await Promise.all(jobs.map((j) => result(j.workflowId)));
      const [a, b] = (await Promise.all(jobs.map((j) => getJob(t, writer, j.jobId)))).map((j) => j.metrics.training!);
      expect([a.device, b.device]).toEqual(['gpu:0', 'gpu:0']);
      const [first, second] = [a, b].sort((x, y) => x.startedAt.localeCompare(y.startedAt));
      expect(Date.parse(second.startedAt)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt));
    });
  });

  it('lists jobs with filters and lists datasets', async () => {
    const list = (await (
      await t.app.request('/api/v1/training/jobs?status=completed&limit=100', { headers: writer })
    ).json()) as { items: { status: string }[] };
    expect(list.items.length).toBeGreaterThan(0);
    expect(list.items.every((j) => j.status === 'completed')).toBe(true);
    const datasets = (await (await t.app.request('/api/v1/training/datasets', { headers: writer })).json()) as {
      items: { name: string }[];
    };
    expect(datasets.items.map((d) => d.name)).toEqual(['automotive-queries', 'broken']);
  });
});
