import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { modelsOf } from '../../db/models';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { createIsolatedDatabase, createTestApp, json, type TestApp } from '../helpers/app';
import { testServices, uniqueName } from '../helpers/env';
import { freePort } from '../../support/ports';
import { bearer, tokenFor } from '../helpers/tokens';
import { eventually, getJob, makeDatasetsDir, startJob } from '../helpers/training';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

/**
 * Chaos: the Temporal server dies (SIGKILL) mid-training and comes back on its SQLite file.
 * Expected: the job completes with exactly one registered version; while the server is down the
 * API still reads jobs from the database and accepts a new job (202, its workflow not started),
 * which the dispatcher starts once the server is back; the client's retry (same Idempotency-Key)
 * finds that job, and it trains once. A database of its own: the dispatchers of other files' apps,
 * on the shared test database, would start its waiting job on their Temporal server.
 */
describe('chaos: Temporal server killed and restarted on its SQLite file', () => {
  jest.setTimeout(300_000);
  let server: DevServer;
  let port: number;
  let dbFile: string;
  let t: TestApp;
  let worker: WorkerProcess | undefined;
  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  const writer = bearer(tokenFor('write', 'chaos'));
  const start = () => startDevServer({ cliPath: testServices().temporalCli, port, dbFile, headless: true });

  beforeAll(async () => {
    port = await freePort();
    dbFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-chaos-temporal-')), 'temporal.db');
    server = await start();
    database = await createIsolatedDatabase();
    t = await createTestApp({
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      DATABASE_URL: database.url,
      NW_DATASETS_DIR: makeDatasetsDir(),
    });
  });
  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await t.close();
    await server.stop();
    await database.drop();
  });

  it('loses no job and registers each version once', async () => {
    worker = await startWorkerProcess(t.config);
    const name = uniqueName('chaos-temporal');
    const job = await startJob(t, writer, {
      name,
      specialization: 'service-advisor',
      hyperparameters: { epochs: 150, batchSize: 1 },
    });
    await eventually(
      () => getJob(t, writer, job.jobId),
      (j) => j.status === 'running',
      60_000,
    );

    process.kill(server.pid, 'SIGKILL');
    await eventually(
      async () =>
        ((await (await t.app.request('/health/detailed')).json()) as { dependencies: { temporal: { status: string } } })
          .dependencies.temporal.status,
      (s) => s === 'unhealthy',
      20_000,
    );
    expect((await getJob(t, writer, job.jobId)).status).toBe('running'); // reads come from the database
    const retryKey = uniqueName('key');
    const second = { name: `${name}-b`, specialization: 'service-advisor', hyperparameters: { epochs: 2 } };
    const post = () => t.app.request('/api/v1/training/jobs', json(second, { ...writer, 'idempotency-key': retryKey }));
    const accepted = await post();
    expect(accepted.status).toBe(202);
    const secondJob = (await accepted.json()) as { jobId: string; workflowId: string; workflowStarted: boolean };
    expect(secondJob.workflowStarted).toBe(false);
    expect(await getJob(t, writer, secondJob.jobId)).toMatchObject({ status: 'pending', workflowStartedAt: null });

    await server.stop(); // reap the killed child
    server = await start();
    await eventually(
      () => getJob(t, writer, secondJob.jobId),
      (j) => j.workflowStartedAt !== null,
      60_000,
    );
    const retried = await post();
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ jobId: secondJob.jobId, workflowStarted: true });

    const done = await eventually(
      () => getJob(t, writer, job.jobId),
      (j) => ['completed', 'failed', 'cancelled'].includes(j.status),
      180_000,
    );
    expect(done.status).toBe('completed');
    await t.temporal.workflow.getHandle(secondJob.workflowId).result();
    expect((await getJob(t, writer, secondJob.jobId)).status).toBe('completed');
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name } })).toBe(1);
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name: `${name}-b` } })).toBe(1);
    const jobsOfSecond = await t.sequelize.query('SELECT 1 FROM training_jobs WHERE name = $1', {
      bind: [`${name}-b`],
      type: QueryTypes.SELECT,
    });
    expect(jobsOfSecond).toHaveLength(1);
  });
});
