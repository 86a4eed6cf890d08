import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * PostgreSQL for machines without one: PGlite (real Postgres compiled to WASM) with its data under
 * the data dir, served over the wire protocol on loopback, so pg/Sequelize and the migrations run
 * unchanged. Used when DATABASE_URL is unset.
 */
export async function startEmbeddedPostgres({ dataDir, port }: { dataDir: string; port: number }): Promise<EmbeddedPostgres> {
  const dir = path.join(dataDir, 'pg');
  fs.mkdirSync(dir, { recursive: true });
  const db = await PGlite.create({ dataDir: dir });
  // PGlite has one backend; the server queues queries from up to this many client connections.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 64 });
  await server.start();
  const actualPort = port === 0 ? Number(server.getServerConn().split(':').pop()) : port;
  let stopped: Promise<void> | undefined;
  return {
    url: `postgresql://postgres@127.0.0.1:${actualPort}/postgres`,
    port: actualPort,
    stop: () =>
      (stopped ??= (async () => {
        await server.stop();
        // close() checkpoints and flushes the data dir: skipping it can lose the last writes.
        await db.close();
      })()),
  };
}
