import { serve } from '@hono/node-server';
import { resolveJwtSecret } from '../config/dev-secret';
import { loadConfigOrExit } from '../config/load';
import { createLogger } from '../config/logger';
import { startTracing, stopTracing } from '../config/tracing';
import { openDatabase } from '../db/connection';
import { assertSchemaCurrent } from '../migrations/umzug';
import { createApp } from './app';
import { createTemporalClient } from './temporal-client';
import { createStores } from '../db/stores';

/** `npm run api`: the HTTP API on PORT until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  startTracing('neuroweaver-api', config);
  const logger = createLogger('api', config.logLevel);
  const sequelize = openDatabase(config);
  await assertSchemaCurrent(sequelize);
  const { connection, client: temporal } = createTemporalClient(config);
  const { app, close: closeApp } = createApp({ config, jwtSecret: resolveJwtSecret(config), sequelize, stores: createStores(sequelize, config), temporal, logger });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' }, (info) =>
    logger.info(`api: listening on http://localhost:${info.port} (docs at /docs)`),
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info(`api: ${signal}, closing`);
    server.close(async () => {
      // Inference: stop the routing poll and the threads, write the last performance metrics.
      await closeApp().catch((err: Error) => logger.error({ err: err.message }, 'api: closing inference failed'));
      await connection.close();
      await stopTracing();
      await sequelize.close();
      process.exit(0);
    });
    // Keep-alive sockets would hold close() open; stop waiting after a grace period (metrics still written).
    setTimeout(() => void closeApp().catch(() => undefined).finally(() => process.exit(0)), 5_000).unref();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(`api: ${(err as Error).message}`);
  process.exit(1);
});
