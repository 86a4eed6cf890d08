import type { MiddlewareHandler } from 'hono';
import { levelAtLeast, type AccessLevel, type PROBER_ROLE, type REPORTER_ROLE } from '../../auth/token';
import type { AppEnv } from '../deps';
import { ApiError } from '../errors';
import { requireEverySpecialization } from './scope';

/** The per-subject rate limits a route may count against (NW_RATE_LIMIT_*). */
export type RateLimitClass = 'workflow-starts' | 'inference' | 'incidents';

/**
 * Who may call a route, declared beside it (`...policy({...})` in its createRoute) and published in
 * /openapi.json as `x-neuroweaver-policy`: the enforcement and the document are one declaration, and
 * the permission-matrix test (test/permission-matrix.test.ts) fails on a route without one.
 */
export interface RoutePolicy {
  /** The lowest level that may call it. */
  access: AccessLevel;
  /** A role that grants it below `access` (the worker's probe tokens: `prober`; monitoring: `reporter`). */
  role?: typeof PROBER_ROLE | typeof REPORTER_ROLE;
  /**
   * How the token's `resources` narrow it: `named` — a specialization named in the path or body
   * outside them is a 403; `object` — an object found by its ID outside them is a 404; `list` — the
   * list shows only what is inside them; `every` — over every specialization at once, so only an
   * unrestricted token; `none` — no specialization is involved.
   */
  scope: 'named' | 'object' | 'list' | 'every' | 'none';
  /** The rate limit it counts against. */
  limit?: RateLimitClass;
}

export const POLICY_EXTENSION = 'x-neuroweaver-policy';

export interface PolicyVariables {
  /** Set by app.ts: the limiter of each class (a class turned off is absent). */
  rateLimits: Partial<Record<RateLimitClass, MiddlewareHandler<AppEnv>>>;
  /** Set by authenticate: counts and logs a refusal (metrics, the security log). */
  refused: (status: 403, reason: string) => void;
}

function authorize(policy: RoutePolicy): MiddlewareHandler<AppEnv> {
  const needs = `this action needs ${policy.access} access${policy.role ? ` or the ${policy.role} role` : ''}`;
  return async function authorizeRoute(c, next) {
    const principal = c.get('principal');
    try {
      if (!levelAtLeast(principal.level, policy.access) && !(policy.role && principal.roles.includes(policy.role)))
        throw new ApiError(403, 'forbidden', needs);
      if (policy.scope === 'every') requireEverySpecialization(c);
    } catch (err) {
      c.get('refused')?.(403, (err as Error).message);
      throw err;
    }
    const limiter = policy.limit ? c.get('rateLimits')?.[policy.limit] : undefined;
    if (limiter) return limiter(c, next);
    await next();
  };
}

/** A route's policy: spread into its createRoute config (it adds the route's first middleware). */
export function policy(declared: RoutePolicy) {
  return { [POLICY_EXTENSION]: declared, middleware: [authorize(declared)] } as {
    middleware: [MiddlewareHandler<AppEnv>];
  };
}
