import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgresProcess } from '../helpers/embedded-postgres';

export interface TestDatabase {
  url: string;
  kind: 'server' | 'embedded';
  drop(): Promise<void>;
}

const SERVER_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function serverReachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A throwaway database on `adminUrl`'s server; drop() removes it with everything in it. */
export async function createServerDatabase(adminUrl: string = SERVER_ADMIN_URL): Promise<TestDatabase> {
  const name = `nw_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'server',
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * The machine's PostgreSQL when one answers (CI: 127.0.0.1:5432, a fresh database per run);
 * otherwise the embedded PGlite server, exactly as `npm start` uses it.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (await serverReachable(SERVER_ADMIN_URL)) return createServerDatabase();
  const dataDir = path.join(os.tmpdir(), `nw-test-pg-${randomBytes(4).toString('hex')}`);
  const pg = await startEmbeddedPostgresProcess(dataDir);
  return { url: pg.url, kind: 'embedded', drop: () => pg.stop() };
}
