import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../../support/ports';

const ROOT = path.resolve(__dirname, '..', '..');

export interface Running {
  child: ChildProcess;
  output: string[];
  token: string;
  pids: Record<string, number>;
}

/** `npm start` as a user runs it (embedded Temporal and PostgreSQL), on private ports and data dir. */
export async function start(env: NodeJS.ProcessEnv): Promise<Running> {
  // Its own process group, as a shell gives a foreground job: Ctrl-C goes to the whole group.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  const lines = readline.createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    let tokenNext = false;
    let pids: Record<string, number> = {};
    lines.on('line', (line) => {
      output.push(line);
      if (tokenNext) {
        tokenNext = false;
        resolve({ child, output, token: line.trim(), pids });
      }
      if (line.includes('Dev admin token')) tokenNext = true;
      const processes = line.match(/^\s+Processes:\s+(.*)$/);
      if (processes)
        pids = Object.fromEntries(processes[1].split(' ').map((p) => [p.split('=')[0], Number(p.split('=')[1])]));
    });
    child.once('exit', (code) => reject(new Error(`npm start exited early (${code}):\n${output.join('\n')}`)));
  });
}

/** SIGTERM to the supervisor (a service manager), or Ctrl-C in a terminal: SIGINT to the whole process group. */
export async function stop(running: Running, how: 'sigterm' | 'ctrl-c' = 'sigterm'): Promise<number | null> {
  const exited = new Promise<number | null>((r) => running.child.once('exit', (code) => r(code)));
  if (how === 'ctrl-c') process.kill(-running.child.pid!, 'SIGINT');
  else running.child.kill('SIGTERM');
  return exited;
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The environment of `npm start` on private ports and data dir, as on a fresh machine (no DATABASE_URL, no secrets). */
export async function privateStartEnv(dataDir: string): Promise<NodeJS.ProcessEnv> {
  const [api, temporalPort, uiPort, pgPort, metricsPort, relaycorePort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    NW_DATA_DIR: dataDir,
    PORT: String(api),
    NW_TEMPORAL_PORT: String(temporalPort),
    NW_TEMPORAL_UI_PORT: String(uiPort),
    NW_EMBEDDED_PG_PORT: String(pgPort),
    NW_WORKER_METRICS_PORT: String(metricsPort),
    RELAYCORE_EMULATOR_PORT: String(relaycorePort),
    TEMPORAL_CLI_PATH: process.env.NW_TEST_TEMPORAL_CLI,
    LOG_LEVEL: 'warn',
  };
  for (const name of [
    'DATABASE_URL',
    'TEMPORAL_ADDRESS',
    'JWT_SECRET',
    'TEMPORAL_UI_URL',
    'METRICS_TOKEN',
    'RELAYCORE_URL',
  ])
    delete env[name];
  return env;
}
