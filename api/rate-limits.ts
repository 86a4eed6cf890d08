import type { MiddlewareHandler } from 'hono';
import { rateLimiter } from 'hono-rate-limiter';
import type { Config } from '../config/env';
import type { AppEnv } from './deps';
import type { RateLimitClass } from './auth/route-policy';
import { errorBody } from './errors';

/**
 * Per-subject limits (after authentication, so the key is the token's subject, not an address a
 * proxy hides), each per minute in this API process: workflow starts (each one durable work on the
 * cluster), inference, incident reports (each is evidence against a serving model, so a flood of
 * them is itself an attack). A route names its class in its policy. Over the limit: 429 with
 * Retry-After and the standard RateLimit headers. 0 turns a limit off.
 */
export function rateLimits({
  workflowStartsPerMinute,
  inferencePerMinute,
  incidentsPerMinute,
}: Config['rateLimits']): Partial<Record<RateLimitClass, MiddlewareHandler<AppEnv>>> {
  const limiter = (name: string, perMinute: number): MiddlewareHandler<AppEnv> | undefined =>
    perMinute === 0
      ? undefined
      : rateLimiter<AppEnv>({
          windowMs: 60_000,
          limit: perMinute,
          standardHeaders: 'draft-6',
          keyGenerator: (c) => `${name}:${c.get('principal').sub}`,
          handler: (c) =>
            c.json(
              errorBody(
                'rate_limited',
                `more than ${perMinute} ${name} a minute for ${c.get('principal').sub}; try again after Retry-After seconds`,
              ),
              429,
            ),
        });
  return {
    'workflow-starts': limiter('workflow starts', workflowStartsPerMinute),
    inference: limiter('inference requests', inferencePerMinute),
    incidents: limiter('incident reports', incidentsPerMinute),
  };
}
