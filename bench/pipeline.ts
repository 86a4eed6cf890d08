import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { signToken } from '../api/auth/token';
import { parseConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { createDatabase } from '../db/connection';
import { TrainingJob } from '../db/models';
import { createMigrator } from '../migrations/umzug';
import { resolveTemporalCli } from '../temporal/cli-path';
import { startDevServer } from '../temporal/dev-server';
import { createTestDatabase } from '../test/setup/test-database';
import { freePort } from '../test/helpers/ports';
import { progressQuery } from '../workflows/training-pipeline';
import { createWorkers } from '../worker/create-worker';
import { summarize, type Summary } from './stats';

export interface PipelineBench {
  postToRunning: Summary;
  postToFirstProgress: Summary;
  postToCompleted: Summary;
}

const SECRET = 'bench-secret-0123456789abcdef0123456789';

/**
 * A whole stack in this process (dev server, PostgreSQL, workers, API) and `rounds` builtin jobs
 * posted one at a time: milliseconds from POST to the job running, to the trainer's first
 * progress, and to the registered model.
 */
export async function benchPipeline({ rounds = 5 } = {}): Promise<PipelineBench> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-bench-stack-'));
  const cli = await resolveTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
  const temporalServer = await startDevServer({ cliPath: cli.path, port: await freePort(), headless: true });
  const database = await createTestDatabase();
  const config = parseConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporalServer.address, JWT_SECRET: SECRET, NW_DATA_DIR: workDir, LOG_LEVEL: 'error' });
  const sequelize = createDatabase({ url: config.databaseUrl, poolMax: 4 });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection: clientConnection });
  try {
    await createMigrator(sequelize).up();
    const workers = await createWorkers({ connection, temporal, sequelize, config });
    const running = workers.map((w) => w.run());
    const { app } = createApp({ config, jwtSecret: SECRET, sequelize, temporal, logger: createLogger('bench', 'silent') });
    const headers = { authorization: `Bearer ${signToken(SECRET, { sub: 'bench', level: 'write', ttlSeconds: 3600 })}`, 'content-type': 'application/json' };
    const toRunning: number[] = [];
    const toProgress: number[] = [];
    const toCompleted: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const posted = performance.now();
      const res = await app.request('/api/v1/training/jobs', { method: 'POST', headers, body: JSON.stringify({ name: `bench-${i}`, specialization: 'automotive-sales', hyperparameters: { epochs: 2 } }) });
      const { jobId, workflowId } = (await res.json()) as { jobId: string; workflowId: string };
      const handle = temporal.workflow.getHandle(workflowId);
      let sawRunning = false;
      let sawProgress = false;
      const done = handle.result().then(() => toCompleted.push(performance.now() - posted));
      while (!sawProgress) {
        if (!sawRunning && (await TrainingJob.findByPk(jobId))?.status !== 'pending') {
          sawRunning = true;
          toRunning.push(performance.now() - posted);
        }
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p && (p.step > 0 || p.stage !== 'training' && p.stage !== 'queued' && p.stage !== 'validating-dataset')) {
          sawProgress = true;
          toProgress.push(performance.now() - posted);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      await done;
    }
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    return { postToRunning: summarize(toRunning), postToFirstProgress: summarize(toProgress), postToCompleted: summarize(toCompleted) };
  } finally {
    await clientConnection.close();
    await connection.close();
    await sequelize.close();
    await database.drop();
    await temporalServer.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
