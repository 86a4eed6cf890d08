import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgresProcess } from './embedded-postgres-process';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Another PostgreSQL server to test against instead of the embedded one (e.g. postgresql://postgres@127.0.0.1:5432/postgres). */
const SERVER_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL || undefined;

/** A throwaway database on `adminUrl`'s server; drop() removes it with everything in it. */
export async function createServerDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `nw_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * The embedded PostgreSQL, exactly as `npm start` runs it (what users get); or, with
 * TEST_DATABASE_ADMIN_URL, a fresh database on that server.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (SERVER_ADMIN_URL) return createServerDatabase(SERVER_ADMIN_URL);
  const dataDir = path.join(os.tmpdir(), `nw-test-pg-${randomBytes(4).toString('hex')}`);
  const pg = await startEmbeddedPostgresProcess(dataDir);
  return {
    url: pg.url,
    drop: async () => {
      await pg.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
