import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../config/env';
import { freePort } from '../../support/ports';
import { resolveDatabaseUrl } from '../../db/connection';
import { collectLines, untilLine } from '../../support/child-output';

const ROOT = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `npm run worker` as its own process, configured like `config`: for crash tests (SIGKILL). */
export async function startWorkerProcess(
  config: Config,
  extraEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: resolveDatabaseUrl(config),
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TEMPORAL_TRAINING_TASK_QUEUE: config.temporal.trainingTaskQueue,
    MODEL_STORAGE_PATH: config.modelStoragePath,
    NW_DATA_DIR: config.dataDir,
    NW_DATASETS_DIR: config.training.datasetsDir,
    NW_WORKER_METRICS_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectLines(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await untilLine(child, output, 'worker: polling', 'worker');
  return {
    child,
    output,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
