import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '../../db/connection';
import type { EmbeddedPostgres } from '../../db/embedded';
import { modelsOf } from '../../db/models';
import { createMigrator } from '../../migrations/umzug';
import { createTestApp, type TestApp } from '../helpers/app';
import { startEmbeddedPostgresProcess } from '../../support/embedded-postgres-process';
import { uniqueName } from '../helpers/env';
import { freePort } from '../../support/ports';
import { bearer, tokenFor } from '../helpers/tokens';
import { eventually, getJob, makeDatasetsDir, startJob } from '../helpers/training';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

/**
 * Chaos: PostgreSQL stops mid-training and comes back (the embedded server, on its data dir: the
 * machine's own PostgreSQL is shared and not ours to stop). Expected: the API answers 503 with
 * Retry-After meanwhile, the activities retry, the job completes with exactly one version.
 */
describe('chaos: PostgreSQL stopped and restarted', () => {
  jest.setTimeout(300_000);
  let pg: EmbeddedPostgres;
  let dataDir: string;
  let port: number;
  let t: TestApp;
  let worker: WorkerProcess | undefined;
  const writer = bearer(tokenFor('write', 'chaos'));

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-chaos-pg-'));
    port = await freePort();
    pg = await startEmbeddedPostgresProcess(dataDir, port);
    const sequelize = createDatabase({ url: pg.url, poolMax: 2 });
    await createMigrator(sequelize).up();
    await sequelize.close();
    t = await createTestApp({ DATABASE_URL: pg.url, NW_DATASETS_DIR: makeDatasetsDir() });
  });
  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await t.close();
    await pg.stop();
  });

  it('answers 503 while it is down and loses nothing', async () => {
    worker = await startWorkerProcess(t.config);
    const name = uniqueName('chaos-pg');
    const job = await startJob(t, writer, {
      name,
      specialization: 'parts-specialist',
      hyperparameters: { epochs: 150, batchSize: 1 },
    });
    await eventually(
      () => getJob(t, writer, job.jobId),
      (j) => j.status === 'running',
      60_000,
    );

    await pg.stop();
    const down = await eventually(
      async () => t.app.request('/api/v1/models', { headers: writer }),
      (r) => r.status === 503,
      20_000,
    );
    expect(down.headers.get('retry-after')).toBeTruthy();
    await new Promise((r) => setTimeout(r, 5_000));

    pg = await startEmbeddedPostgresProcess(dataDir, port);
    await eventually(
      async () => (await t.app.request('/api/v1/models', { headers: writer })).status,
      (s) => s === 200,
      60_000,
    );
    const done = await eventually(
      () => getJob(t, writer, job.jobId),
      (j) => ['completed', 'failed', 'cancelled'].includes(j.status),
      180_000,
    );
    expect(done.status).toBe('completed');
    await t.temporal.workflow.getHandle(job.workflowId).result();
    expect(await modelsOf(t.sequelize).ModelRecord.count({ where: { name } })).toBe(1);
  });
});
