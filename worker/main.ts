import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config/load';
import { createDatabase } from '../db/connection';
import { assertSchemaCurrent } from '../migrations/umzug';
import { createWorkers } from './create-worker';

/** `npm run worker`: runs workflows and activities until SIGINT/SIGTERM, then drains and exits. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const level = config.logLevel.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  // Once per process, before any connection or worker exists.
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level === 'DEBUG' ? 'DEBUG' : 'WARN' }) },
      metrics: { prometheus: { bindAddress: `0.0.0.0:${config.workerMetricsPort}` } },
    },
  });
  const sequelize = createDatabase({ url: config.databaseUrl, poolMax: config.embeddedDatabase ? 4 : 10 });
  await assertSchemaCurrent(sequelize);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const workers = await createWorkers({ connection, temporal, sequelize, config });
  console.log(
    `worker: polling ${workers.map((w) => `"${w.options.taskQueue}"`).join(' and ')} on ${config.temporal.address}; metrics on :${config.workerMetricsPort}/metrics`,
  );
  // run() resolves after the Runtime's signal handlers (SIGINT/SIGTERM) have drained the workers.
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await clientConnection.close();
    await connection.close();
    await sequelize.close();
  }
}

main().catch((err) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
});
