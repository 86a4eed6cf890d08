import type { MiddlewareHandler } from 'hono';
import { rateLimiter } from 'hono-rate-limiter';
import type { Config } from '../config/env';
import type { AppEnv } from './deps';
import { errorBody } from './errors';

/** Requests that start a workflow: each one is durable work on the cluster. */
const WORKFLOW_STARTS = [/^\/api\/v1\/models\/[^/]+\/(deploy|validate)$/, /^\/api\/v1\/training\/jobs$/, /^\/api\/v1\/deployments\/[^/]+\/rollback$/, /^\/api\/v1\/watchdogs$/];
const INFERENCE = /^\/api\/v1\/inference\/[^/]+$/;
/** Incident reports: each is evidence against a serving model, so a flood of them is itself an attack. */
const INCIDENTS = /^\/api\/v1\/watchdogs\/[^/]+\/incidents$/;

/**
 * Per-subject limits (after authentication, so the key is the token's subject, not an address a
 * proxy hides): workflow starts and inference, each per minute, in this API process. Over the
 * limit: 429 with Retry-After and the standard RateLimit headers. 0 turns a limit off.
 */
export function rateLimits({ workflowStartsPerMinute, inferencePerMinute, incidentsPerMinute }: Config['rateLimits']): MiddlewareHandler<AppEnv>[] {
  const limiter = (name: string, perMinute: number, applies: (path: string) => boolean): MiddlewareHandler<AppEnv> =>
    rateLimiter<AppEnv>({
      windowMs: 60_000,
      limit: perMinute,
      standardHeaders: 'draft-6',
      keyGenerator: (c) => `${name}:${c.get('principal').sub}`,
      skip: (c) => perMinute === 0 || c.req.method !== 'POST' || !applies(c.req.path),
      handler: (c) => c.json(errorBody('rate_limited', `more than ${perMinute} ${name} a minute for ${c.get('principal').sub}; try again after Retry-After seconds`), 429),
    });
  return [
    limiter('workflow starts', workflowStartsPerMinute, (path) => WORKFLOW_STARTS.some((re) => re.test(path))),
    limiter('inference requests', inferencePerMinute, (path) => INFERENCE.test(path)),
    limiter('incident reports', incidentsPerMinute, (path) => INCIDENTS.test(path)),
  ];
}
