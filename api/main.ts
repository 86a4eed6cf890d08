import { setTimeout as sleep } from 'node:timers/promises';
import { resolveJwtSecret } from '../config/dev-secret';
import { loadConfigOrExit } from '../config/load';
import { createLogger } from '../config/logger';
import { startTracing, stopTracing } from '../config/tracing';
import { openDatabase } from '../db/connection';
import { assertSchemaCurrent } from '../migrations/umzug';
import { createApp } from './app';
import { serveApi } from './server';
import { createTemporalClient } from './temporal-client';
import { createStores } from '../db/stores';

/** `npm run api`: the HTTP API on PORT until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // New traces start only at the request spans that keep them (config/tracing.ts NewTraces).
  startTracing('neuroweaver-api', config, [], { newTraces: 'at-requests' });
  const logger = createLogger('api', config.logLevel);
  const sequelize = openDatabase(config);
  await assertSchemaCurrent(sequelize);
  const { connection, client: temporal } = createTemporalClient(config);
  const { app, close: closeApp } = createApp({
    config,
    jwtSecret: resolveJwtSecret(config),
    sequelize,
    stores: createStores(sequelize, config),
    temporal,
    logger,
  });
  const server = serveApi(app.fetch, { port: config.port, hostname: '0.0.0.0' }, (port) =>
    logger.info(`api: listening on http://localhost:${port} (docs at /docs)`),
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const deadline = Date.now() + config.shutdownGraceMs;
    logger.info(`api: ${signal}, closing (grace ${config.shutdownGraceMs} ms)`);
    // Requests in flight finish (up to half the grace); then inference stops and its last metrics
    // are written, retried while the database is slow or down until the grace is spent.
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.race([drained, sleep(config.shutdownGraceMs / 2, undefined, { ref: false })]);
    await closeApp(deadline).catch((err: Error) => logger.error({ err: err.message }, 'api: closing inference failed'));
    await Promise.race([
      Promise.all([connection.close(), stopTracing(), sequelize.close()]),
      sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false }),
    ]).catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(`api: ${(err as Error).message}`);
  process.exit(1);
});
