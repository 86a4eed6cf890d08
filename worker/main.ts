import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config/load';
import { createDatabase } from '../db/connection';
import { assertSchemaCurrent } from '../migrations/umzug';
import { createWorker } from './create-worker';

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
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: { modelStoragePath: config.modelStoragePath },
  });
  console.log(
    `worker: polling "${config.temporal.taskQueue}" on ${config.temporal.address}; metrics on :${config.workerMetricsPort}/metrics`,
  );
  // Worker.run() resolves after the Runtime's signal handlers (SIGINT/SIGTERM) have drained it.
  try {
    await worker.run();
  } finally {
    await connection.close();
    await sequelize.close();
  }
}

main().catch((err) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
});
