import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import { levelAtLeast, TokenError, verifyToken, type AccessLevel, type Principal, type TokenParty } from '../../auth/token';

export interface AuthVariables {
  principal: Principal;
}

export interface AuthOptions {
  secret: string;
  /** The longest exp − iat accepted (NW_JWT_MAX_LIFETIME_DAYS). */
  maxLifetimeSeconds?: number;
  /** The iss and aud a token must carry (JWT_ISSUER, JWT_AUDIENCE). */
  party?: TokenParty;
  /** Answers from memory (db/revocations.ts): authentication costs no query. */
  isRevoked: (sub: string, iat: number) => boolean | Promise<boolean>;
  verifyWithAutomatrix?: (token: string) => Promise<boolean>;
  /** Called once per rejected request (metrics: AuthenticationFailureSpike; the security log). Never given the token. */
  onFailure?: (status: 401 | 403, reason: string, method: string, path: string) => void;
  /** POST routes that change nothing (inference), matched against the full path: they need only `read`. */
  readOnlyPosts?: RegExp[];
}

const unauthorized = (message: string) =>
  new ApiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="neuroweaver"' });

/** Reads methods need `read`, everything else `write`; admin routes add `requireLevel('admin')`. */
const levelForMethod = (method: string): AccessLevel => (method === 'GET' || method === 'HEAD' ? 'read' : 'write');

const levelFor = (method: string, path: string, readOnlyPosts: RegExp[]): AccessLevel =>
  method === 'POST' && readOnlyPosts.some((pattern) => pattern.test(path)) ? 'read' : levelForMethod(method);

/** 401 for a missing, invalid, expired or revoked token; 403 for no neuroweaver access or too low a level. */
export function authenticate({ secret, maxLifetimeSeconds, party, isRevoked, verifyWithAutomatrix, onFailure, readOnlyPosts = [] }: AuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function authenticateRequest(c, next) {
    try {
      const header = c.req.header('authorization');
      const match = header?.match(/^Bearer\s+(\S+)$/i);
      if (!match) throw unauthorized('missing bearer token');
      let principal: Principal;
      try {
        principal = verifyToken(match[1], secret, { maxLifetimeSeconds, ...party });
      } catch (err) {
        if (err instanceof TokenError) {
          throw err.status === 401 ? unauthorized(err.message) : new ApiError(403, 'forbidden', err.message);
        }
        throw err;
      }
      if (await isRevoked(principal.sub, principal.iat)) {
        throw unauthorized('token has been revoked');
      }
      if (verifyWithAutomatrix && !(await verifyWithAutomatrix(match[1]))) {
        throw unauthorized('token rejected by AutoMatrix');
      }
      const need = levelFor(c.req.method, c.req.path, readOnlyPosts);
      if (!levelAtLeast(principal.level, need)) throw new ApiError(403, 'forbidden', `this action needs ${need} access`);
      c.set('principal', principal);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) onFailure?.(err.status, err.message, c.req.method, c.req.path);
      throw err;
    }
    await next();
  };
}

export function requireLevel(level: AccessLevel): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function requireAccessLevel(c, next) {
    if (!levelAtLeast(c.get('principal').level, level)) {
      throw new ApiError(403, 'forbidden', `this action needs ${level} access`);
    }
    await next();
  };
}

/** `level`, or a token holding `role` (a narrow grant: the worker's probe tokens are `read` + `prober`). */
export function requireLevelOrRole(level: AccessLevel, role: string): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function requireAccessLevelOrRole(c, next) {
    const principal = c.get('principal');
    if (!levelAtLeast(principal.level, level) && !principal.roles.includes(role)) {
      throw new ApiError(403, 'forbidden', `this action needs ${level} access or the ${role} role`);
    }
    await next();
  };
}
