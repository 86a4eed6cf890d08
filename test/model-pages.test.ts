import net from 'node:net';
import type { Sequelize } from 'sequelize';
import { createDatabase } from '../db/connection';
import { createModelStore, type ModelStore, type NewModel } from '../db/stores/models';
import { createIsolatedDatabase } from './helpers/app';

/**
 * Registry pages held in memory by the API (db/stores/model-pages.ts) against a real PostgreSQL:
 * whether a page is held is seen from outside — a change made with the table's notice switched off
 * does not show while the page is held, and shows at once when it is not.
 */
describe('registry pages held in memory', () => {
  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let other: Sequelize;
  const opened: { sequelize: Sequelize; store: ModelStore }[] = [];

  beforeAll(async () => {
    // Its own database: other files' registrations would drop its pages at random moments.
    database = await createIsolatedDatabase();
    other = createDatabase({ url: database.url, poolMax: 2 });
  });
  afterAll(async () => {
    for (const { sequelize, store } of opened) {
      await store.pages.stop();
      await sequelize.close();
    }
    await other.close();
    await database.drop();
  });

  /** An API process's registry store, holding pages. */
  async function apiStore(): Promise<ModelStore> {
    const sequelize = createDatabase({ url: database.url, poolMax: 4 });
    const store = createModelStore(sequelize);
    opened.push({ sequelize, store });
    await store.pages.start();
    expect(store.pages.holding()).toBe(true);
    return store;
  }

  const model = (name: string, specialization: string): NewModel => ({
    name,
    description: null,
    specialization,
    baseModel: 'builtin-bow',
    version: '1',
    modelPath: null,
    config: null,
    performanceMetrics: null,
    deploymentConfig: null,
    createdBy: 'pages-test',
  });

  /** A change by another process that announces nothing (the table's notice switched off for it). */
  const silently = (sql: string, bind: unknown[]) =>
    other.transaction(async (transaction) => {
      await other.query('ALTER TABLE models DISABLE TRIGGER models_changed_notify', { transaction });
      await other.query(sql, { bind, transaction });
      await other.query('ALTER TABLE models ENABLE TRIGGER models_changed_notify', { transaction });
    });

  /** The notices of this file's own writes arrive (they come back to the process that wrote, too). */
  const settled = () => new Promise((r) => setTimeout(r, 250));

  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, withinMs: number) => {
    const started = Date.now();
    for (;;) {
      const value = await read();
      if (done(value)) return Date.now() - started;
      if (Date.now() - started > withinMs) throw new Error(`not seen within ${withinMs} ms: ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("holds a page until the database announces a change; the store's own writes show at once", async () => {
    const store = await apiStore();
    const page = () => store.list({ skip: 0, limit: 5, specialization: 'held' });
    const { id } = await store.register(model('held-1', 'held'));
    await settled();
    expect((await page()).items.map((m) => m.id)).toEqual([id]);

    await silently(`UPDATE models SET description = 'unannounced' WHERE id = $1`, [id]);
    expect((await page()).items[0].description).toBeNull(); // held

    // Another process's announced change (a worker's, psql's) reaches the held page within a second.
    await other.query(`UPDATE models SET status = 'validated' WHERE id = $1`, { bind: [id] });
    const tookMs = await until(page, (p) => p.items[0].status === 'validated', 1_000);
    expect((await page()).items[0].description).toBe('unannounced'); // read again from the database
    expect(tookMs).toBeLessThan(1_000);

    // This process's own writes: the very next read shows them.
    await store.setValidation(id, { accuracy: 0.9 }, 'invalid');
    expect((await page()).items[0]).toMatchObject({ status: 'invalid', validation: { accuracy: 0.9 } });
    const second = await store.register(model('held-2', 'held'));
    expect(await page()).toMatchObject({ total: 2, items: [{ id: second.id }, { id }] });
  });

  it('reads from the database while the notices are not heard, and holds pages again once they are', async () => {
    const store = await apiStore();
    const page = () => store.list({ skip: 0, limit: 5, specialization: 'lost' });
    const { id } = await store.register(model('lost-1', 'lost'));
    await settled();
    await page();

    // The listening connection is cut (a restarted or failed-over server, an idle-connection killer).
    await other.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'neuroweaver-listener' AND datname = current_database()`,
    );
    await until(
      async () => store.pages.holding(),
      (holding) => !holding,
      2_000,
    );
    await silently(`UPDATE models SET description = 'while deaf' WHERE id = $1`, [id]);
    expect((await page()).items[0].description).toBe('while deaf');

    // It listens again by itself, and what changed meanwhile is read anew.
    await until(
      async () => store.pages.holding(),
      (holding) => holding,
      5_000,
    );
    expect((await page()).items[0].description).toBe('while deaf');
    await silently(`UPDATE models SET description = 'held again' WHERE id = $1`, [id]);
    expect((await page()).items[0].description).toBe('while deaf');

    // Stopped: nothing is held any more.
    await store.pages.stop();
    expect((await page()).items[0].description).toBe('held again');
  });

  it('does not trust a listening connection whose probes stop coming back (a peer gone silent), and makes a new one', async () => {
    // The store reaches the database through a TCP relay; its first connection is the listening one.
    const relay = await tcpRelay(new URL(database.url));
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    const sequelize = createDatabase({ url: url.toString(), poolMax: 2 });
    const store = createModelStore(sequelize);
    opened.push({ sequelize, store });
    try {
      await store.pages.start();
      expect(store.pages.holding()).toBe(true);
      const page = () => store.list({ skip: 0, limit: 5, specialization: 'silent' });
      const { id } = await store.register(model('silent-1', 'silent'));
      await settled();
      await page();

      relay.freeze(0); // no FIN, no RST: the listening connection just stops carrying anything
      await until(
        async () => store.pages.holding(),
        (holding) => !holding,
        6_000,
      );
      await silently(`UPDATE models SET description = 'unheard' WHERE id = $1`, [id]);
      expect((await page()).items[0].description).toBe('unheard');
      await until(
        async () => store.pages.holding(),
        (holding) => holding,
        6_000,
      );
      expect(relay.connections()).toBeGreaterThan(1);
    } finally {
      relay.close();
    }
  });

  it('under concurrent writes from two API processes, each sees its own writes at once and both agree within a second', async () => {
    const [a, b] = [await apiStore(), await apiStore()];
    const specialization = 'busy';
    const page = (store: ModelStore) => store.list({ skip: 0, limit: 10, specialization });
    let writing = true;
    // Readers on both processes keep the pages busy (held, dropped, loaded again) while writes land.
    const readers = [a, b, a, b].map(async (store) => {
      let reads = 0;
      while (writing) {
        await page(store);
        reads++;
        // A held page answers without I/O: without this the loop would never let the writes' I/O run.
        await new Promise((r) => setImmediate(r));
      }
      return reads;
    });
    const writers = [a, b].map(async (store, w) => {
      for (let i = 0; i < 40; i++) {
        const { id } = await store.register(model(`busy-${w}-${i}`, specialization));
        const seen = await page(store);
        // Read-your-writes in the process that wrote: the newest model on its page is the one just made.
        expect(seen.items.map((m) => m.id)).toContain(id);
      }
    });
    await Promise.all(writers);
    writing = false;
    expect(Math.min(...(await Promise.all(readers)))).toBeGreaterThan(0);

    const [truth] = (await other.query(
      `SELECT id FROM models WHERE specialization = $1 ORDER BY created_at DESC, id LIMIT 10`,
      { bind: [specialization] },
    )) as [{ id: string }[], unknown];
    for (const store of [a, b])
      await until(
        () => page(store),
        (p) => p.total === 80 && JSON.stringify(p.items.map((m) => m.id)) === JSON.stringify(truth.map((r) => r.id)),
        1_000,
      );
  });
});

/** A TCP relay to the database whose connections can be frozen one by one (they stay open, silent). */
async function tcpRelay(target: URL) {
  const pairs: { client: net.Socket; server: net.Socket }[] = [];
  const relay = net.createServer((client) => {
    const server = net.connect(Number(target.port), target.hostname);
    pairs.push({ client, server });
    client.pipe(server);
    server.pipe(client);
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close);
    server.on('error', close);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    connections: () => pairs.length,
    freeze(index: number) {
      const { client, server } = pairs[index];
      client.unpipe(server);
      server.unpipe(client);
      client.pause();
      server.pause();
    },
    close() {
      relay.close();
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
    },
  };
}
