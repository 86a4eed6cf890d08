import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import { TokenError, verifyToken, type Principal, type TokenParty } from '../../auth/token';
import type { AppEnv } from '../deps';

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
}

const unauthorized = (message: string) =>
  new ApiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="neuroweaver"' });

/**
 * Who is calling: 401 for a missing, invalid, expired or revoked token; 403 for a token without a
 * neuroweaver entry. What the caller may do is each route's declared policy (auth/route-policy.ts).
 */
export function authenticate({
  secret,
  maxLifetimeSeconds,
  party,
  isRevoked,
  verifyWithAutomatrix,
  onFailure,
}: AuthOptions): MiddlewareHandler<AppEnv> {
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
      c.set('principal', principal);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403))
        onFailure?.(err.status, err.message, c.req.method, c.req.path);
      throw err;
    }
    c.set('refused', (status, reason) => onFailure?.(status, reason, c.req.method, c.req.path));
    await next();
  };
}
