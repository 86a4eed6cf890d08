import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import { createApp } from '../api/app';
import { parseConfig, type Config } from '../config/env';
import { createLogger } from '../config/logger';
import { signToken } from '../auth/token';
import { createStores, type Stores } from '../db/stores';
import { openDatabase } from '../db/connection';
import { createMigrator } from '../migrations/umzug';
import { resolveTemporalCli } from '../temporal/cli-path';
import { startDevServer } from '../temporal/dev-server';
import { freePort } from '../support/ports';
import { createTestDatabase } from '../support/throwaway-database';

export const BENCH_SECRET = 'bench-secret-0123456789abcdef0123456789';

/** Load from one subject is the point of a benchmark: the per-subject limits stay out of it. */
export const UNLIMITED = { NW_RATE_LIMIT_STARTS_PER_MINUTE: '0', NW_RATE_LIMIT_INFERENCE_PER_MINUTE: '0' };

/**
 * What a bench section runs against, in this process: its own Temporal dev server and migrated
 * PostgreSQL database, a config pointing at them (plus `env`), and the connections a worker and a
 * client need. close() stops and removes all of it.
 */
export async function startBenchStack(env: Record<string, string> = {}) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-bench-stack-'));
  const cli = await resolveTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
  const temporalServer = await startDevServer({ cliPath: cli.path, port: await freePort(), headless: true });
  const database = await createTestDatabase();
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalServer.address,
    JWT_SECRET: BENCH_SECRET,
    NW_DATA_DIR: workDir,
    LOG_LEVEL: 'error',
    ...UNLIMITED,
    ...env,
  });
  const sequelize = openDatabase(config, { poolMax: 6 });
  await createMigrator(sequelize).up();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  return {
    config,
    sequelize,
    connection,
    temporal: new Client({ connection: clientConnection }),
    close: async () => {
      await clientConnection.close();
      await connection.close();
      await sequelize.close();
      await database.drop();
      await temporalServer.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** The API as a bench section runs it: on the stack's database and Temporal, logging nothing. */
export function benchApp(
  {
    config,
    sequelize,
    temporal,
    stores = createStores(sequelize, config),
  }: { config: Config; sequelize: Sequelize; temporal: Client; stores?: Stores },
  options?: Parameters<typeof createApp>[1],
) {
  return createApp(
    { config, jwtSecret: BENCH_SECRET, sequelize, stores, temporal, logger: createLogger('bench', 'silent') },
    options,
  );
}

/** A model row without an artifact, registered by the bench's subject: what a registry read returns. */
export const registerBareModel = (stores: Stores, name: string) =>
  stores.models.register({
    name,
    description: null,
    specialization: 'automotive-sales',
    baseModel: 'bench',
    version: '1',
    modelPath: null,
    config: null,
    performanceMetrics: null,
    deploymentConfig: null,
    createdBy: 'bench',
  });

/** The Authorization header of the bench's subject at `level`, signed with the bench's secret. */
export const benchBearer = (level: 'read' | 'write') => ({
  authorization: `Bearer ${signToken(BENCH_SECRET, { sub: 'bench', level, ttlSeconds: 3600 })}`,
});
