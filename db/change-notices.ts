import { randomUUID } from 'node:crypto';
import { Client, type ClientConfig, type Notification } from 'pg';
import type { Sequelize } from 'sequelize';

export interface ChangeNoticeOptions {
  /** How often the listening connection sends itself a probe notice, to find one that stopped hearing. */
  pingMs?: number;
  /** Past this age without its probe (or a change) coming back, the notices are not trusted. */
  maxSilenceMs?: number;
  /** How long after a lost connection the next one is tried. */
  reconnectMs?: number;
  now?: () => number;
}

/**
 * A PostgreSQL channel (LISTEN) heard on a connection of its own, for what a process keeps in
 * memory from a table that others write. The `onChange` listeners run on every notice and whenever
 * the connection is lost or made (notices may have been missed meanwhile), so whatever was read
 * with no change heard in between, while `live()` was true, is still what the database holds, give
 * or take the moment a notice takes to arrive.
 *
 * Heard is proven, not assumed: every `pingMs` the connection sends a probe notice of its own on the
 * channel (a payload no change carries, ignored by every other listener) and is live only while its
 * last probe came back within `maxSilenceMs`. So a peer gone without a word, a server that stopped
 * answering, or a pooler that does not pass notices on (PgBouncer in transaction mode) all read as
 * not live — readers then go to the database — and a connection that fails is made again.
 */
export class ChangeNotices {
  private client: Client | undefined;
  /** When this connection's own probe (or a change) last arrived. */
  private lastHeardAt = -Infinity;
  private stopped = true;
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
   * Connects and listens; resolves once its first probe came back, or once that failed (it keeps
   * trying). `onError` hears of each failed connection and each one lost.
   */
  async start({ onError }: { onError?: (err: Error) => void } = {}): Promise<void> {
    if (!this.stopped) return this.connecting;
    this.stopped = false;
    if (onError) this.onError = onError;
    this.pinger = setInterval(() => void this.ping(), this.pingMs);
    this.pinger.unref();
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pinger);
    clearTimeout(this.reconnecting);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    this.changed();
    await client?.end().catch(() => undefined);
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
    if (payload === this.probe) {
      this.lastHeardAt = this.now();
      this.firstProbe?.();
    } else if (!payload.startsWith(PROBE_PREFIX)) {
      this.lastHeardAt = this.now();
      this.changed();
    }
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      const client = new Client(listenerConfig(this.sequelize));
      client.on('error', (err) => this.lost(client, err));
      client.on('end', () => this.lost(client, new Error('the listening connection closed')));
      client.on('notification', (notice) => this.heard(client, notice));
      try {
        await client.connect();
        await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
        if (this.stopped) {
          await client.end().catch(() => undefined);
          return;
        }
        this.client = client;
        this.lastHeardAt = -Infinity;
        this.changed(); // whatever changed while nobody listened
        const probed = new Promise<void>((resolve) => {
          this.firstProbe = resolve;
          setTimeout(resolve, this.maxSilenceMs).unref();
        });
        await this.ping();
        await probed;
        if (this.client === client && !this.live())
          this.onError(
            new Error('the probe notice did not come back (a pooler that drops notices?): the channel is not heard'),
          );
      } catch (err) {
        await client.end().catch(() => undefined);
        this.onError(err as Error);
        this.retryLater();
      } finally {
        this.firstProbe = undefined;
      }
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Sends a probe; a connection whose probes stopped coming back is dropped and made again. */
  private async ping(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const silentFor = this.now() - this.lastHeardAt;
    if (Number.isFinite(silentFor) && silentFor > this.maxSilenceMs) {
      this.lost(client, new Error(`no notice came back on the listening connection for ${silentFor} ms`));
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
    if (!this.stopped) this.onError(err);
    this.retryLater();
    // Not awaited: over a connection gone silent, the goodbye may never be answered.
    void client.end().catch(() => undefined);
  }

  /** A new connection, once the one being made (if any) is settled, unless that one holds. */
  private async reconnect(): Promise<void> {
    await this.connecting;
    if (!this.stopped && !this.client) await this.connect();
  }

  private retryLater(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnecting);
    this.reconnecting = setTimeout(() => void this.reconnect(), this.reconnectMs);
    this.reconnecting.unref();
  }
}

/** Probe notices start with this; no change notice does (the trigger's payload is empty). */
const PROBE_PREFIX = 'probe:';

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
