import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../config/env';
import { resolveDatabaseUrl } from '../db/connection';
import { freePort } from './ports';
import { collectLines, untilLine } from './child-output';

const ROOT = path.resolve(__dirname, '..');

export interface ApiProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  output: string[];
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * `npm run api` as its own process, configured like `config`, on a port of its own: an API replica
 * for the scale-out test, the server the bench loads from outside (its own heap and event loop).
 */
export async function startApiProcess(
  config: Config,
  jwtSecret: string,
  extraEnv: Record<string, string> = {},
  /** Node's own flags, such as `--cpu-prof` (which NODE_OPTIONS may not carry). */
  nodeArgs: string[] = [],
): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'api/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: resolveDatabaseUrl(config),
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      TEMPORAL_TRAINING_TASK_QUEUE: config.temporal.trainingTaskQueue,
      JWT_SECRET: jwtSecret,
      MODEL_STORAGE_PATH: config.modelStoragePath,
      NW_DATA_DIR: config.dataDir,
      NW_DATASETS_DIR: config.training.datasetsDir,
      NW_RATE_LIMIT_STARTS_PER_MINUTE: '0',
      NW_RATE_LIMIT_INFERENCE_PER_MINUTE: '0',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectLines(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await untilLine(child, output, 'api: listening', 'api');
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
