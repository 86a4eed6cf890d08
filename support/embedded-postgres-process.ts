import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { EmbeddedPostgres } from '../db/embedded';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '..');

/**
 * The embedded PostgreSQL exactly as `npm run db` runs it, in its own process (the package is an ES
 * module, which Jest's CommonJS sandbox cannot load in-process), so the tests use what users get.
 */
export async function startEmbeddedPostgresProcess(dataDir: string, port?: number): Promise<EmbeddedPostgres> {
  port ??= await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, NW_DATA_DIR: dataDir, NW_EMBEDDED_PG_PORT: String(port) };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'db/embedded-main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = line.match(/ready on (\S+)/);
      if (ready) resolve(ready[1]);
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready`)));
  });
  return {
    url,
    port,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
