import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeKeys } from '../workflows/search-attributes';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file for persistent state; omit for an in-memory server (tests). */
  dbFile?: string;
  port: number;
  uiPort?: number;
  /** No Web UI (tests). */
  headless?: boolean;
  namespace?: string;
  logFile?: string;
  readyTimeoutMs?: number;
  /**
   * Its own process group: a terminal's Ctrl-C reaches only the supervisor, which stops the server
   * after the worker has drained (npm start). Tests leave it in theirs, so an interrupted run takes it along.
   */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  pid: number;
  stop(): Promise<void>;
}

/** The arguments for `temporal server start-dev`, with NeuroWeaver's search attributes registered. */
export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--log-level', 'warn'];
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.headless) args.push('--headless');
  else if (o.uiPort) args.push('--ui-port', String(o.uiPort), '--ui-disable-news-fetch');
  if (o.namespace && o.namespace !== 'default') args.push('--namespace', o.namespace);
  for (const key of searchAttributeKeys) args.push('--search-attribute', `${key.name}=Keyword`);
  return args;
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `temporal dev server exited (${child.exitCode ?? child.signalCode}) before serving:\n${output()}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `temporal dev server at ${address} not serving after ${timeoutMs} ms: ${String(lastError)}\n${output()}`,
  );
}

/**
 * Starts the real CLI binary as our direct child, so SIGTERM reaches the server itself (a shell
 * wrapper would swallow it and orphan the server). stop() waits for it to exit, which lets it
 * close its SQLite file cleanly.
 */
export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  if (o.dbFile) fs.mkdirSync(path.dirname(o.dbFile), { recursive: true });
  const child = spawn(o.cliPath, devServerArgs(o), {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: o.ownProcessGroup ?? false,
  });
  const log = o.logFile ? fs.createWriteStream(o.logFile, { flags: 'a' }) : undefined;
  let tail = '';
  const keep = (chunk: Buffer) => {
    log?.write(chunk);
    tail = (tail + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${o.port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killTimer);
      }
      log?.end();
    })());

  try {
    await waitUntilServing(address, child, o.readyTimeoutMs ?? 60_000, () => tail);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    uiUrl: o.headless ? undefined : `http://localhost:${o.uiPort ?? o.port + 1000}`,
    pid: child.pid!,
    stop,
  };
}
