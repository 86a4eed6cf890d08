import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Config } from '../../config/env';
import { createWorker } from '../../worker/create-worker';
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

/** Runs a real worker (on the run's prebuilt bundle) on the config's task queue while `fn` runs. */
export async function withWorker<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await createWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      deps: { modelStoragePath: config.modelStoragePath },
      workflowBundle: { codePath: testServices().workflowBundlePath },
    });
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}
