import { QueryTypes, type Sequelize } from 'sequelize';

export interface RevocationListOptions {
  /** How often the list asks the database for new revocations. */
  pollMs?: number;
  /** Past this age without a successful refresh the list refuses to answer (fail closed). */
  maxStalenessMs?: number;
  now?: () => number;
  onError?: (err: Error) => void;
}

/** The list could not be refreshed for too long: an answer from it might miss a revocation. */
export class RevocationListStale extends Error {
  override name = 'RevocationListStale';
}

/**
 * Revoked tokens (sub, iat) held in memory, so authenticating a request costs no query. Every API
 * process polls `revoked_tokens` for rows revoked since its last look (with an overlap, so a row
 * whose transaction commits late is still seen) and answers from the set; a revocation reaches every
 * process within one poll. When the database cannot be read for longer than `maxStalenessMs`, it
 * fails closed: `isRevoked` throws and the API answers 503 rather than trusting an old list.
 * `onError` hears about each failed poll (the API logs it).
 */
export class RevocationList {
  private readonly revoked = new Set<string>();
  /** Subjects whose every token issued at or before a cut-off (seconds) is revoked. */
  private readonly revokedBefore = new Map<string, number>();
  private readonly pollMs: number;
  private readonly maxStalenessMs: number;
  private readonly now: () => number;
  private readonly onError: (err: Error) => void;
  /** Server time of the newest revocation seen; the next poll reads from a little before it. */
  private since: Date | undefined;
  private refreshedAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly sequelize: Sequelize,
    { pollMs = 250, maxStalenessMs = 5_000, now = Date.now, onError = () => undefined }: RevocationListOptions = {},
  ) {
    this.onError = onError;
    this.pollMs = pollMs;
    this.maxStalenessMs = maxStalenessMs;
    this.now = now;
  }

  /**
   * Loads the whole list, then keeps it fresh until stop(). Resolves after the first load, or after
   * its failure: a database that is down now makes the list stale (503s), not the process fail.
   */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.refreshQuietly(), this.pollMs);
    this.timer.unref();
    await this.refreshQuietly();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /**
   * From memory while the list is fresh. A list older than `maxStalenessMs` (the database was
   * unreachable, or this process was too busy to poll) is refreshed first; if that fails too, the
   * answer is an error, never a guess from an old list.
   */
  async isRevoked(sub: string, iat: number): Promise<boolean> {
    if (this.stale()) {
      // At most a second's wait: against a hung database requests get their 503 now, not after its timeouts.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.refreshQuietly(),
        new Promise<void>((r) => (timer = setTimeout(r, STALE_REFRESH_WAIT_MS))),
      ]);
      clearTimeout(timer);
      if (this.stale())
        throw new RevocationListStale(
          `the revocation list could not be refreshed for over ${this.maxStalenessMs / 1000} s`,
        );
    }
    return this.revoked.has(key(sub, iat)) || iat <= (this.revokedBefore.get(sub) ?? -Infinity);
  }

  private stale(): boolean {
    return this.now() - this.refreshedAt > this.maxStalenessMs;
  }

  /** Records a revocation (idempotent) and applies it to this process at once. */
  async revoke(row: {
    sub: string;
    iat: number;
    revokedBy: string | null;
    reason: string | null;
  }): Promise<{ revokedAt: Date }> {
    // Idempotent: a second revocation of the same token keeps the first one's time and author.
    const [record] = await this.sequelize.query<{ revokedAt: Date }>(
      `INSERT INTO revoked_tokens (sub, iat, revoked_at, revoked_by, reason) VALUES ($1, $2, now(), $3, $4)
       ON CONFLICT (sub, iat) DO UPDATE SET sub = EXCLUDED.sub
       RETURNING revoked_at AS "revokedAt"`,
      { bind: [row.sub, row.iat, row.revokedBy, row.reason], type: QueryTypes.SELECT },
    );
    this.revoked.add(key(row.sub, row.iat));
    return { revokedAt: record.revokedAt };
  }

  /** Revokes every token of `sub` issued up to now (idempotent within the second), on this process at once. */
  async revokeEvery(row: {
    sub: string;
    revokedBy: string | null;
    reason: string | null;
  }): Promise<{ revokedAt: Date; issuedUpTo: number }> {
    const [record] = await this.sequelize.query<{ revokedAt: Date; iat: string }>(
      `INSERT INTO revoked_tokens (sub, iat, revoked_at, revoked_by, reason, every_token) VALUES ($1, floor(extract(epoch from now()))::bigint, now(), $2, $3, true)
       ON CONFLICT (sub, iat) DO UPDATE SET every_token = true
       RETURNING revoked_at AS "revokedAt", iat`,
      { bind: [row.sub, row.revokedBy, row.reason], type: QueryTypes.SELECT },
    );
    this.cutOff(row.sub, Number(record.iat));
    return { revokedAt: record.revokedAt, issuedUpTo: Number(record.iat) };
  }

  private cutOff(sub: string, iat: number): void {
    this.revokedBefore.set(sub, Math.max(iat, this.revokedBefore.get(sub) ?? -Infinity));
  }

  private refreshQuietly(): Promise<void> {
    // One poll at a time; a failed poll only ages the list (isRevoked then fails closed).
    this.polling ??= this.refresh()
      .catch((err: Error) => this.onError(err))
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async refresh(): Promise<void> {
    const startedAt = this.now();
    // Read from well before the newest row seen, so a transaction that commits after a later one
    // (its revoked_at older than rows already seen) cannot be missed.
    const rows = await this.sequelize.query<{ sub: string; iat: string; revokedAt: Date; everyToken: boolean }>(
      `SELECT sub, iat, revoked_at AS "revokedAt", every_token AS "everyToken" FROM revoked_tokens WHERE $1::timestamptz IS NULL OR revoked_at >= $1::timestamptz`,
      {
        bind: [this.since ? new Date(this.since.getTime() - OVERLAP_MS).toISOString() : null],
        type: QueryTypes.SELECT,
      },
    );
    for (const row of rows) {
      if (row.everyToken) this.cutOff(row.sub, Number(row.iat));
      else this.revoked.add(key(row.sub, Number(row.iat)));
      if (!this.since || row.revokedAt > this.since) this.since = row.revokedAt;
    }
    this.refreshedAt = startedAt;
  }
}

const OVERLAP_MS = 60_000;
const STALE_REFRESH_WAIT_MS = 1_000;
const key = (sub: string, iat: number) => `${iat}:${sub}`;
