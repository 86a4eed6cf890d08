import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { startEmbeddedPostgresProcess } from '../support/embedded-postgres-process';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);

/** `npm run db` on a data dir, on a port nothing listens on (these runs fail before they listen). */
function runDb(dataDir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NW_DATA_DIR: dataDir, NW_EMBEDDED_PG_PORT: '1' };
  delete env.DATABASE_URL;
  return run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'db/embedded-main.ts')], { cwd: ROOT, env });
}

/** `npm run db` as a user meets it: a password on loopback only, and a clear word about old data dirs. */
describe('embedded PostgreSQL', () => {
  jest.setTimeout(60_000);
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-embedded-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('needs its password, listens on loopback only and keeps the password private', async () => {
    const dataDir = tempDir();
    const pg = await startEmbeddedPostgresProcess(dataDir);
    try {
      const url = new URL(pg.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.password.length).toBeGreaterThanOrEqual(32);
      expect(fs.statSync(path.join(dataDir, 'pg-password')).mode & 0o077).toBe(0);

      for (const password of ['', 'wrong']) {
        const client = new Client({
          host: '127.0.0.1',
          port: pg.port,
          user: 'postgres',
          password,
          database: 'neuroweaver',
        });
        await expect(client.connect()).rejects.toThrow(/password/);
        await client.end().catch(() => undefined);
      }
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      const { rows } = await client.query<{ listen: string; sockets: string; version: string }>(
        "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets, current_setting('server_version_num') AS version",
      );
      await client.end();
      expect(rows[0]).toMatchObject({ listen: '127.0.0.1', sockets: '' });
      expect(Number(rows[0].version)).toBeGreaterThanOrEqual(170000);
    } finally {
      await pg.stop();
    }
  });

  // PostgreSQL never runs as root: as root, the server runs as the `postgres` user, who must be able to reach the data dir.
  (process.getuid?.() === 0 ? it : it.skip)(
    'as root, explains a data dir the postgres user cannot reach instead of crashing',
    async () => {
      const locked = tempDir();
      fs.chmodSync(locked, 0o700);
      const failure = await runDb(path.join(locked, 'data')).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toMatch(
        new RegExp(`${locked} does not let other users pass through.*PostgreSQL never runs as root`),
      );
    },
  );

  it('explains a data dir written by the retired PGlite server instead of crashing', async () => {
    const dataDir = tempDir();
    fs.mkdirSync(path.join(dataDir, 'pg'));
    fs.writeFileSync(path.join(dataDir, 'pg', 'PG_VERSION'), '18\n');
    const failure = await runDb(dataDir).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/written by the retired embedded server \(PGlite\).*Move it aside/);
  });
});
