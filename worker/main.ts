import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config/load';
import { startTracing, stopTracing } from '../config/tracing';
import { openDatabase } from '../db/connection';
import { assertSchemaCurrent } from '../migrations/umzug';
import { createRelayCoreActivities } from '../activities/relaycore';
import { activityDeps, createWorkers } from './create-worker';
import { clientTracing } from '../temporal/tracing';
import { temporalConnectionOptions } from '../temporal/connection-options';

/** `npm run worker`: runs workflows and activities until SIGINT/SIGTERM, then drains and exits. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  startTracing('neuroweaver-worker', config);
  const level = config.logLevel.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  // Once per process, before any connection or worker exists.
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level === 'DEBUG' ? 'DEBUG' : 'WARN' }) },
      metrics: { prometheus: { bindAddress: `0.0.0.0:${config.workerMetricsPort}` } },
    },
  });
  const sequelize = openDatabase(config);
  await assertSchemaCurrent(sequelize);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const clientConnection = await Connection.connect(temporalConnectionOptions(config));
  const temporal = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    interceptors: clientTracing(),
  });
  const workers = await createWorkers({ connection, temporal, sequelize, config });
  console.log(
    `worker: polling ${workers.map((w) => `"${w.options.taskQueue}"`).join(' and ')} on ${config.temporal.address}; metrics on :${config.workerMetricsPort}/metrics`,
  );
  if (config.relaycoreUrl && config.workerQueues !== 'training')
    void registerWithRelayCore(createRelayCoreActivities(activityDeps(sequelize, config)));
  // run() resolves after the Runtime's signal handlers (SIGINT/SIGTERM) have drained the workers.
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await clientConnection.close();
    await connection.close();
    await sequelize.close();
    await stopTracing();
  }
}

/** Announces NeuroWeaver to RelayCore (seed 000), retrying in the background until it is accepted. */
async function registerWithRelayCore(relay: ReturnType<typeof createRelayCoreActivities>): Promise<void> {
  for (let delayMs = 1_000; ; delayMs = Math.min(delayMs * 2, 60_000)) {
    try {
      const { status } = await relay.registerWithRelayCore();
      console.log(`worker: registered with RelayCore (${status})`);
      return;
    } catch (err) {
      console.warn(
        `worker: RelayCore registration failed (${(err as Error).message}); retrying in ${delayMs / 1000} s`,
      );
      if ((err as { nonRetryable?: boolean }).nonRetryable) return;
      await new Promise((r) => setTimeout(r, delayMs).unref());
    }
  }
}

main().catch((err) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
});
