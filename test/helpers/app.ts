import { createApp } from '../../api/app';
import { createTemporalClient } from '../../api/temporal-client';
import { createLogger } from '../../config/logger';
import { openDatabase } from '../../db/connection';
import { TEST_JWT_SECRET, testConfig } from './env';
import { createStores } from '../../db/stores';

/** The real app against the test PostgreSQL and Temporal server; call close() in afterAll. */
export async function createTestApp(overrides: Record<string, string> = {}) {
  const config = testConfig(overrides);
  const sequelize = openDatabase(config, { poolMax: 4 });
  const { connection, client: temporal } = createTemporalClient(config);
  const stores = createStores(sequelize, config);
  const { app, metrics, close: closeApp } = createApp({ config, jwtSecret: TEST_JWT_SECRET, sequelize, stores, temporal, logger: createLogger('test', 'silent') });
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
