import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import type { Config } from '../../config/env';
import { createWorkers } from '../../worker/create-worker';
import { testServices } from './env';

let runtimeInstalled = false;

/** Once per Jest worker process: only warnings from the SDK, so test output stays readable. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier test file in this Jest worker process.
  }
}

/** Runs the real workers of `config` (on the run's prebuilt bundle) while `fn` runs. */
export async function withWorker<T>(config: Config, sequelize: Sequelize, fn: () => Promise<T>): Promise<T> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  try {
    const workers = await createWorkers({
      connection,
      temporal: new Client({ connection: clientConnection, namespace: config.temporal.namespace }),
      sequelize,
      config,
      workflowBundle: { codePath: testServices().workflowBundlePath },
    });
    // Run all until fn settles; runUntil on the first, the others shut down alongside.
    const [first, ...others] = workers;
    const running = others.map((w) => w.run());
    try {
      return await first.runUntil(fn);
    } finally {
      for (const w of others) w.shutdown();
      await Promise.all(running);
    }
  } finally {
    await clientConnection.close();
    await connection.close();
  }
}
