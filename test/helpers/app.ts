import { createApp } from '../../api/app';
import { createTemporalClient } from '../../api/temporal-client';
import { createLogger } from '../../config/logger';
import { createDatabase, openDatabase } from '../../db/connection';
import { createMigrator } from '../../migrations/umzug';
import { createServerDatabase } from '../../support/throwaway-database';
import { TEST_JWT_SECRET, testConfig } from './env';
import { createStores } from '../../db/stores';

/** The real app against the test PostgreSQL and Temporal server; call close() in afterAll. */
export async function createTestApp(overrides: Record<string, string> = {}) {
  const config = testConfig(overrides);
  const sequelize = openDatabase(config, { poolMax: 4 });
  const { connection, client: temporal } = createTemporalClient(config);
  const stores = createStores(sequelize, config);
  const {
    app,
    metrics,
    close: closeApp,
  } = createApp({
    config,
    jwtSecret: TEST_JWT_SECRET,
    sequelize,
    stores,
    temporal,
    logger: createLogger('test', 'silent'),
  });
  return {
    app,
    metrics,
    config,
    sequelize,
    stores,
    temporal,
    close: async () => {
      await closeApp();
      await connection.close();
      await sequelize.close();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

export const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/**
 * A migrated database of its own on the test server, for a file whose app changes what is shared
 * by every app on a database — the thresholds in force (`watchdog_thresholds`): a version one file
 * saves would otherwise become the policy of another file's watchdogs running beside it.
 */
export async function createIsolatedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = await createServerDatabase(process.env.NW_TEST_DATABASE_URL!);
  const sequelize = createDatabase({ url: database.url, poolMax: 2 });
  try {
    await createMigrator(sequelize).up();
  } finally {
    await sequelize.close();
  }
  return database;
}
