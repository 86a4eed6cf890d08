import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config/env';
import type { Logger } from '../config/logger';
import type { RateLimitStore } from '../db/stores/rate-limits';
import type { AppEnv } from './deps';
import type { RateLimitClass } from './auth/route-policy';
import { errorBody } from './errors';

const MINUTE_MS = 60_000;

/** A replica's slice of one key's minute: uses it may hand out without asking the database. */
interface Lease {
  window: number;
  remaining: number;
  /** Every replica's uses of the key this minute, as of this replica's last claim. */
  used: number;
  exhausted: boolean;
  claiming?: Promise<void>;
}

/**
 * One per-minute limit, held across every API replica: the count lives in PostgreSQL
 * (`rate_limit_windows`), and each replica leases slices of it — a tenth of the limit at a time,
 * one use at a time for small limits — so a busy subject costs a database round trip per slice,
 * not per request. Exact for limits under 20 a minute; above, the subject may be refused up to a
 * slice per replica early (slices leased but unused when another replica ran out), never let past
 * the limit. When the database cannot be asked, each replica holds the limit alone (requests keep
 * being served, up to the limit per replica; a warning says so).
 */
export class SharedLimit {
  private readonly leases = new Map<string, Lease>();
  private readonly slice: number;
  private currentWindow = 0;

  constructor(
    private readonly limit: number,
    private readonly store: RateLimitStore,
    private readonly logger: Logger,
  ) {
    this.slice = limit < 20 ? 1 : Math.ceil(limit / 10);
  }

  /** Takes one use of `key` now: whether it is allowed, what is left of the minute, when it resets. */
  async take(key: string, now = Date.now()): Promise<{ allowed: boolean; remaining: number; resetSeconds: number }> {
    const window = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (window !== this.currentWindow) {
      this.currentWindow = window;
      this.leases.clear(); // last minute's slices are spent or void
    }
    let lease = this.leases.get(key);
    if (!lease) this.leases.set(key, (lease = { window, remaining: 0, used: 0, exhausted: false }));
    while (lease.remaining === 0 && !lease.exhausted) {
      lease.claiming ??= this.claim(key, lease).finally(() => (lease.claiming = undefined));
      await lease.claiming;
    }
    const allowed = lease.remaining > 0;
    if (allowed) lease.remaining -= 1;
    return {
      allowed,
      remaining: Math.max(0, this.limit - lease.used + lease.remaining),
      resetSeconds: Math.max(1, Math.ceil((window + MINUTE_MS - now) / 1000)),
    };
  }

  private async claim(key: string, lease: Lease): Promise<void> {
    try {
      const { granted, used } = await this.store.claim(key, new Date(lease.window), this.slice, this.limit);
      lease.remaining += granted;
      lease.used = used;
      lease.exhausted = granted === 0;
    } catch (err) {
      // The limit still holds on this replica alone (so at most once per replica across them).
      this.logger.warn(
        { err: (err as Error).message, key },
        'rate limit: the shared count is unavailable; counting locally',
      );
      const granted = Math.min(this.slice, this.limit - lease.used);
      lease.remaining += granted;
      lease.used += granted;
      lease.exhausted = granted === 0;
    }
  }
}

/**
 * Per-subject limits (after authentication, so the key is the token's subject, not an address a
 * proxy hides), each per minute across every API replica: workflow starts (each one durable work
 * on the cluster), inference, incident reports (each is evidence against a serving model, so a
 * flood of them is itself an attack). A route names its class in its policy. Over the limit: 429
 * with Retry-After and the RateLimit-* headers. 0 turns a limit off.
 */
export function rateLimits(
  { workflowStartsPerMinute, inferencePerMinute, incidentsPerMinute }: Config['rateLimits'],
  store: RateLimitStore,
  logger: Logger,
): Partial<Record<RateLimitClass, MiddlewareHandler<AppEnv>>> {
  const limiter = (name: string, perMinute: number): MiddlewareHandler<AppEnv> | undefined => {
    if (perMinute === 0) return undefined;
    const shared = new SharedLimit(perMinute, store, logger);
    return async (c: Context<AppEnv>, next) => {
      const sub = c.get('principal').sub;
      const { allowed, remaining, resetSeconds } = await shared.take(`${name}:${sub}`);
      const headers = {
        'RateLimit-Limit': String(perMinute),
        'RateLimit-Remaining': String(remaining),
        'RateLimit-Reset': String(resetSeconds),
      };
      if (!allowed) {
        const message = `more than ${perMinute} ${name} a minute for ${sub}; try again after Retry-After seconds`;
        return c.json(errorBody('rate_limited', message), 429, { ...headers, 'Retry-After': String(resetSeconds) });
      }
      // Before the route answers: headers prepared on the context, not added to a finished response.
      for (const [header, value] of Object.entries(headers)) c.header(header, value);
      await next();
    };
  };
  return {
    'workflow-starts': limiter('workflow starts', workflowStartsPerMinute),
    inference: limiter('inference requests', inferencePerMinute),
    incidents: limiter('incident reports', incidentsPerMinute),
  };
}
