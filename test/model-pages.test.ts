import net from 'node:net';
import type { Sequelize } from 'sequelize';
import { createDatabase } from '../db/connection';
import type { Notices } from '../db/change-notices';
import { ModelPages } from '../db/stores/model-pages';
import { createModelStore, type ModelStore, type NewModel } from '../db/stores/models';
import { createIsolatedDatabase } from './helpers/app';
import { eventually } from './helpers/training';

/**
 * Registry pages held in memory by the API (db/stores/model-pages.ts) against a real PostgreSQL:
 * whether a page is held is seen from outside — a change made with the table's notice switched off
 * does not show while the page is held, and shows at once when it is not.
 */
describe('registry pages held in memory', () => {
  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let other: Sequelize;
  const opened: { sequelize: Sequelize; store: ModelStore }[] = [];
  const relays: Awaited<ReturnType<typeof tcpRelay>>[] = [];

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
    for (const relay of relays) relay.close();
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

  /** Waits until the store holds pages (`want` true) or has stopped holding them. */
  const holdingBecomes = (store: ModelStore, want: boolean, withinMs: number) =>
    eventually(
      async () => store.pages.holding(),
      (holding) => holding === want,
      withinMs,
    );

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
    const announced = Date.now();
    await eventually(page, (p) => p.items[0].status === 'validated', 1_000);
    const tookMs = Date.now() - announced;
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
    await holdingBecomes(store, false, 2_000);
    await silently(`UPDATE models SET description = 'while deaf' WHERE id = $1`, [id]);
    expect((await page()).items[0].description).toBe('while deaf');

    // It listens again by itself, and what changed meanwhile is read anew.
    await holdingBecomes(store, true, 5_000);
    expect((await page()).items[0].description).toBe('while deaf');
    await silently(`UPDATE models SET description = 'held again' WHERE id = $1`, [id]);
    expect((await page()).items[0].description).toBe('while deaf');

    // Stopped: nothing is held any more.
    await store.pages.stop();
    expect((await page()).items[0].description).toBe('held again');
  });

  /** An API process's registry store reaching the database through a TCP relay the test controls. */
  async function storeThroughRelay() {
    const relay = await tcpRelay(new URL(database.url));
    relays.push(relay);
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    const sequelize = createDatabase({ url: url.toString(), poolMax: 2 });
    const store = createModelStore(sequelize);
    opened.push({ sequelize, store });
    return { relay, store };
  }

  it("does not trust a listening connection whose probes stop coming back (a peer gone silent), makes a new one, and shows the process's own writes meanwhile", async () => {
    const { relay, store } = await storeThroughRelay();
    await store.pages.start(); // before any query: the relay's first connection is the listening one
    expect(store.pages.holding()).toBe(true);
    const page = () => store.list({ skip: 0, limit: 5, specialization: 'silent' });
    const { id } = await store.register(model('silent-1', 'silent'));
    await settled();
    await page();

    relay.freeze(0); // no FIN, no RST: the listening connection just stops carrying anything
    // No notice can arrive now, yet this process's own write shows at once (still holding: the
    // silence is not 3 s old).
    await store.setValidation(id, { accuracy: 0.5 }, 'invalid');
    expect(store.pages.holding()).toBe(true);
    expect((await page()).items[0]).toMatchObject({ status: 'invalid', validation: { accuracy: 0.5 } });

    await holdingBecomes(store, false, 6_000);
    await silently(`UPDATE models SET description = 'unheard' WHERE id = $1`, [id]);
    expect((await page()).items[0].description).toBe('unheard');
    const before = relay.connections();
    await holdingBecomes(store, true, 8_000);
    expect(relay.connections()).toBeGreaterThan(before); // a new listening connection
  });

  it('starts with the database unreachable (reads fail, nothing hangs) and holds pages once it is back', async () => {
    const { relay, store } = await storeThroughRelay();
    relay.refuse(true);
    const started = Date.now();
    await store.pages.start();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(store.pages.holding()).toBe(false);
    relay.refuse(false);
    await holdingBecomes(store, true, 8_000);
    await store.register(model('late-1', 'late'));
    expect((await store.list({ skip: 0, limit: 5, specialization: 'late' })).total).toBe(1);
  });

  it('stops at once while a connection is being made to a server that never answers', async () => {
    const { relay, store } = await storeThroughRelay();
    relay.swallow(true); // connections are accepted and never answered
    const starting = store.pages.start();
    await new Promise((r) => setTimeout(r, 200));
    const stopping = Date.now();
    await store.pages.stop();
    expect(Date.now() - stopping).toBeLessThan(2_000);
    await starting;
    expect(store.pages.holding()).toBe(false);
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
      await eventually(
        () => page(store),
        (p) => p.total === 80 && JSON.stringify(p.items.map((m) => m.id)) === JSON.stringify(truth.map((r) => r.id)),
        1_000,
      );
  });
});

/** Notices the test sends itself: ModelPages' own logic, apart from any database. */
class ToldNotices implements Notices {
  heard = true;
  private readonly listeners = new Set<() => void>();
  starts = 0;
  stops = 0;
  start = async () => void (this.starts += 1);
  stop = async () => void (this.stops += 1);
  live = () => this.heard;
  onChange(listener: () => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  change() {
    for (const listener of this.listeners) listener();
  }
}

describe('registry pages: what is kept', () => {
  const page = (total: number) => ({ items: [{ n: total }], total });
  /** A load the test finishes when it chooses, counting how often it was asked. */
  const loads = () => {
    let calls = 0;
    const pending: ((value: { items: { n: number }[]; total: number }) => void)[] = [];
    return {
      calls: () => calls,
      load: () => {
        calls += 1;
        return new Promise<{ items: { n: number }[]; total: number }>((resolve) => pending.push(resolve));
      },
      finish: (total: number) => pending.shift()!(page(total)),
    };
  };

  it('keeps no page whose load finished after a change was heard, and shares one load between concurrent reads', async () => {
    const notices = new ToldNotices();
    const pages = new ModelPages<{ n: number }>(notices);
    const l = loads();
    const first = pages.read('k', l.load);
    const second = pages.read('k', l.load);
    expect(l.calls()).toBe(1); // shared
    notices.change(); // a change lands while the page is read
    const third = pages.read('k', l.load); // a read after the change does not join the old load
    expect(l.calls()).toBe(2);
    l.finish(1);
    l.finish(2);
    expect([(await first).total, (await second).total, (await third).total]).toEqual([1, 1, 2]);
    // The first load (older than the change) was not kept; the second was.
    expect((await pages.read('k', l.load)).total).toBe(2);
    expect(l.calls()).toBe(2);
    // Held pages are frozen: one reader cannot change what the next is given.
    const held = await pages.read('k', l.load);
    expect(Object.isFrozen(held) && Object.isFrozen(held.items) && Object.isFrozen(held.items[0])).toBe(true);
  });

  it('holds nothing while the notices are not heard, and drops everything on a change', async () => {
    const notices = new ToldNotices();
    const pages = new ModelPages<{ n: number }>(notices);
    const l = loads();
    notices.heard = false;
    const deaf = [pages.read('k', l.load), pages.read('k', l.load)];
    expect(l.calls()).toBe(2); // each read to the database
    l.finish(1);
    l.finish(1);
    await Promise.all(deaf);
    notices.heard = true;
    const loaded = pages.read('k', l.load);
    l.finish(3);
    await loaded;
    expect((await pages.read('k', l.load)).total).toBe(3);
    pages.changed(); // this process wrote
    const again = pages.read('k', l.load);
    l.finish(4);
    expect((await again).total).toBe(4);
    expect(l.calls()).toBe(4);
  });

  it('listens while any user has started it: a second app on the same stores does not stop the first', async () => {
    const notices = new ToldNotices();
    const pages = new ModelPages<{ n: number }>(notices);
    await pages.start();
    await pages.start();
    await pages.stop();
    expect([notices.starts, notices.stops]).toEqual([1, 0]);
    await pages.stop();
    await pages.stop(); // one too many changes nothing
    expect([notices.starts, notices.stops]).toEqual([1, 1]);
  });
});

/**
 * A TCP relay to the database whose connections can be frozen one by one (they stay open, silent),
 * refused (closed on arrival) or swallowed (accepted, never answered).
 */
async function tcpRelay(target: URL) {
  const pairs: { client: net.Socket; server: net.Socket }[] = [];
  const swallowed: net.Socket[] = [];
  let refusing = false;
  let swallowing = false;
  const relay = net.createServer((client) => {
    if (refusing) return void client.destroy();
    if (swallowing) return void swallowed.push(client.on('error', () => undefined));
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
    refuse: (on: boolean) => void (refusing = on),
    swallow: (on: boolean) => void (swallowing = on),
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
      for (const socket of swallowed) socket.destroy();
    },
  };
}
