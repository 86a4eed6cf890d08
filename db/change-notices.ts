import { randomUUID } from 'node:crypto';
import { Client, type ClientConfig, type Notification } from 'pg';
import type { Sequelize } from 'sequelize';

export interface ChangeNoticeOptions {
  /** How often the listening connection sends itself a probe notice, to find one that stopped hearing. */
  pingMs?: number;
  /** Past this age without its probe (or a change) coming back, the notices are not trusted. */
  maxSilenceMs?: number;
  /** The first wait before a new connection after a failed or silent one; it doubles, up to 30 s. */
  reconnectMs?: number;
  now?: () => number;
}

/** What a reader of notices needs: whether they are heard, and word of each change. */
export interface Notices {
  start(options?: { onError?: (err: Error) => void }): Promise<void>;
  stop(): Promise<void>;
  live(): boolean;
  onChange(listener: () => void): () => void;
}

/**
 * A PostgreSQL channel (LISTEN) heard on a connection of its own, for what a process keeps in
 * memory from a table that others write. The `onChange` listeners run on every notice and whenever
 * the connection is lost or made (notices may have been missed meanwhile), so whatever was read
 * with no change heard in between, while `live()` was true, is what the database held when the
 * last notice came — behind by the moment a notice takes to arrive, and at most `maxSilenceMs` when
 * the connection dies without a word.
 *
 * Heard is proven, not assumed: every `pingMs` the connection sends a probe notice of its own on the
 * channel (a payload no change carries, ignored by every other listener) and is live only while a
 * probe came back within `maxSilenceMs`. A peer gone silent, a server that stopped answering, or a
 * pooler that does not pass notices on (PgBouncer in transaction mode) all read as not live —
 * readers then go to the database — and the connection is replaced, after 1 s, 2 s, 4 s … 30 s
 * while new ones fail too. Every step of making one is bounded (connect timeout, query timeout,
 * the first probe's wait), so `stop()` never waits on a connection that does not answer.
 */
export class ChangeNotices implements Notices {
  /** The listening connection, once it listens. */
  private client: Client | undefined;
  /** A connection being made (stop() ends it). */
  private pending: Client | undefined;
  private connectedAt = -Infinity;
  /** When this connection's own probe (or a change) last arrived. */
  private lastHeardAt = -Infinity;
  /** Connections in a row that failed or never heard: the back-off before the next. */
  private failures = 0;
  private running = false;
  private pinger: NodeJS.Timeout | undefined;
  private reconnecting: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private firstProbe: (() => void) | undefined;
  private readonly probe = `${PROBE_PREFIX}${randomUUID()}`;
  private readonly listeners = new Set<() => void>();
  private readonly pingMs: number;
  private readonly maxSilenceMs: number;
  private readonly reconnectMs: number;
  private readonly now: () => number;
  private onError: (err: Error) => void = () => undefined;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly channel: string,
    { pingMs = 1_000, maxSilenceMs = 3_000, reconnectMs = 1_000, now = Date.now }: ChangeNoticeOptions = {},
  ) {
    this.pingMs = pingMs;
    this.maxSilenceMs = maxSilenceMs;
    this.reconnectMs = reconnectMs;
    this.now = now;
  }

  /**
   * Connects and listens; resolves once its first probe came back, or once that failed or timed
   * out (it keeps trying). `onError` hears of each failed connection and each one lost.
   */
  async start({ onError }: { onError?: (err: Error) => void } = {}): Promise<void> {
    if (this.running) return this.connecting;
    this.running = true;
    this.failures = 0;
    if (onError) this.onError = onError;
    this.pinger = setInterval(() => void this.ping(), this.pingMs);
    this.pinger.unref();
    await this.connect();
  }

  /** Stops listening at once: a connection being made is ended too. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.pinger);
    clearTimeout(this.reconnecting);
    const clients = [this.client, this.pending].filter((c): c is Client => c !== undefined);
    this.client = undefined;
    this.pending = undefined;
    this.firstProbe?.();
    this.changed();
    // A goodbye a silent server never answers is not waited for past a second.
    await Promise.all(clients.map((c) => Promise.race([c.end().catch(() => undefined), delay(1_000)])));
  }

  /** True while notices are being heard: what was read with no change heard since is current. */
  live(): boolean {
    return this.client !== undefined && this.now() - this.lastHeardAt <= this.maxSilenceMs;
  }

  /** `listener` runs on each notice and each lost or new connection (notices may have been missed). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private heard(client: Client, { channel, payload = '' }: Notification): void {
    if (channel !== this.channel || this.client !== client) return;
    const probe = payload.startsWith(PROBE_PREFIX);
    if (probe && payload !== this.probe) return; // another process's probe
    this.lastHeardAt = this.now();
    this.failures = 0;
    if (probe) this.firstProbe?.();
    else this.changed();
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      // query_timeout: neither LISTEN nor a probe may wait for ever on a server that went quiet.
      const client = new Client({ ...listenerConfig(this.sequelize), query_timeout: this.maxSilenceMs });
      this.pending = client;
      client.on('error', (err) => this.lost(client, err));
      client.on('end', () => this.lost(client, new Error('the listening connection closed')));
      client.on('notification', (notice) => this.heard(client, notice));
      try {
        await client.connect();
        await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
        if (!this.running || this.pending !== client) throw new Error('stopped while connecting');
        this.pending = undefined;
        this.client = client;
        this.connectedAt = this.now();
        this.lastHeardAt = -Infinity;
        this.changed(); // whatever changed while nobody listened
        const probed = new Promise<void>((resolve) => {
          this.firstProbe = resolve;
          setTimeout(resolve, this.maxSilenceMs).unref();
        });
        void this.ping();
        await probed;
      } catch (err) {
        if (this.pending === client) this.pending = undefined;
        void client.end().catch(() => undefined);
        if (this.running) {
          this.onError(err as Error);
          this.retryLater();
        }
      } finally {
        this.firstProbe = undefined;
      }
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Sends a probe; a connection that heard nothing for `maxSilenceMs` is replaced. */
  private async ping(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const silentFor = this.now() - Math.max(this.lastHeardAt, this.connectedAt);
    if (silentFor > this.maxSilenceMs) {
      this.lost(
        client,
        new Error(
          this.lastHeardAt < this.connectedAt
            ? 'its probe notice never came back (a pooler that does not pass notices on?): the channel is not heard'
            : `no notice came back on the listening connection for ${silentFor} ms`,
        ),
      );
      return;
    }
    try {
      await client.query('SELECT pg_notify($1, $2)', [this.channel, this.probe]);
    } catch (err) {
      this.lost(client, err as Error);
    }
  }

  private lost(client: Client, err: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.changed();
    this.firstProbe?.();
    if (this.running) {
      this.onError(err);
      this.retryLater();
    }
    // Not awaited: over a connection gone silent, the goodbye may never be answered.
    void client.end().catch(() => undefined);
  }

  /** A new connection after the back-off, once the one being made (if any) is settled. */
  private retryLater(): void {
    clearTimeout(this.reconnecting);
    const wait = Math.min(this.reconnectMs * 2 ** this.failures, MAX_RECONNECT_MS);
    this.failures += 1;
    this.reconnecting = setTimeout(() => {
      void (async () => {
        await this.connecting;
        if (this.running && !this.client) await this.connect();
      })();
    }, wait);
    this.reconnecting.unref();
  }
}

/** Probe notices start with this; no change notice does (the trigger's payload is empty). */
const PROBE_PREFIX = 'probe:';
const MAX_RECONNECT_MS = 30_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The pool's own connection settings (the same ones Sequelize gives pg), for one more connection. */
function listenerConfig(sequelize: Sequelize): ClientConfig {
  const { host, port, database, username, password, dialectOptions } = sequelize.config as typeof sequelize.config & {
    dialectOptions?: Record<string, unknown>;
  };
  const pick = (key: string) => (dialectOptions?.[key] === undefined ? {} : { [key]: dialectOptions[key] });
  return {
    host,
    port: port === undefined ? undefined : Number(port),
    database,
    user: username,
    password: password ?? undefined,
    ...pick('ssl'),
    ...pick('options'),
    ...pick('connectionTimeoutMillis'),
    application_name: 'neuroweaver-listener',
    keepAlive: true,
  } as ClientConfig;
}
