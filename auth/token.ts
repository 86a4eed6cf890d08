import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** Access levels of the unified JWT (seed 002), weakest first. */
export const LEVELS = ['read', 'write', 'admin'] as const;
export type AccessLevel = (typeof LEVELS)[number];

export const SYSTEM = 'neuroweaver';

/** Who issues the platform's tokens, and for whom NeuroWeaver accepts them (JWT_ISSUER, JWT_AUDIENCE). */
export const DEFAULT_ISSUER = 'automatrix';
export const DEFAULT_AUDIENCE = 'neuroweaver';

/** The issuer and audience a token must name. */
export interface TokenParty {
  issuer: string;
  audience: string;
}

export interface SystemAccess {
  system: string;
  level: AccessLevel;
  resources: string[];
}

export interface UnifiedToken {
  sub: string;
  iat: number;
  exp: number;
  nbf?: number;
  systems: SystemAccess[];
  roles: { name: string; system: string; permissions: string[] }[];
  permissions: string[];
}

/** Who is calling, once the token has been verified. */
export interface Principal {
  sub: string;
  iat: number;
  exp: number;
  level: AccessLevel;
  /** The specializations it may act on (`resources` of its neuroweaver entry); `*` is every one. */
  resources: readonly string[];
  /** Names of its neuroweaver roles (e.g. `prober`: may run the watchdog's probes, nothing more). */
  roles: readonly string[];
}

export class TokenError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * jsonwebtoken turns a string secret into a KeyObject on every verify, first trying it as a public
 * key and catching the failure: a tenth of a registry request's CPU. One KeyObject per secret instead.
 */
const secretKeys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret));
    secretKeys.set(secret, key);
  }
  return key;
}

export const levelAtLeast = (have: AccessLevel, need: AccessLevel) => LEVELS.indexOf(have) >= LEVELS.indexOf(need);

/**
 * Verifies signature (HS256 only: `none` and RS/HS confusion are refused), `exp` (required) and
 * `nbf`, then finds the neuroweaver entry in `systems`. Revocation is checked by the caller.
 */
/** Tokens issued this far ahead of our clock are refused (they would outlive a revocation by iat). */
const CLOCK_TOLERANCE_SECONDS = 5;

export function verifyToken(
  token: string,
  secret: string,
  {
    maxLifetimeSeconds,
    issuer = DEFAULT_ISSUER,
    audience = DEFAULT_AUDIENCE,
  }: { maxLifetimeSeconds?: number } & Partial<TokenParty> = {},
): Principal {
  let claims: jwt.JwtPayload;
  try {
    // iss and aud are required and must match: a token another system was issued, or one meant for
    // another audience, signed with a shared secret, is not one for us.
    const decoded = jwt.verify(token, secretKey(secret), {
      algorithms: ['HS256'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      issuer,
      audience,
    });
    if (typeof decoded === 'string') throw new TokenError(401, 'token payload must be a JSON object');
    claims = decoded;
  } catch (err) {
    if (err instanceof TokenError) throw err;
    if (err instanceof jwt.TokenExpiredError) throw new TokenError(401, 'token has expired');
    if (err instanceof jwt.NotBeforeError) throw new TokenError(401, 'token is not valid yet');
    if (err instanceof jwt.JsonWebTokenError && /^jwt (issuer|audience) invalid/.test(err.message))
      throw new TokenError(
        401,
        `token ${err.message.startsWith('jwt issuer') ? `issuer is not ${issuer}` : `audience is not ${audience}`}`,
      );
    throw new TokenError(401, 'invalid token');
  }
  if (typeof claims.exp !== 'number') throw new TokenError(401, 'token has no exp claim');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new TokenError(401, 'token has no sub claim');
  if (typeof claims.iat !== 'number') throw new TokenError(401, 'token has no iat claim');
  if (claims.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS)
    throw new TokenError(401, 'token is issued in the future');
  if (maxLifetimeSeconds !== undefined && claims.exp - claims.iat > maxLifetimeSeconds) {
    throw new TokenError(401, `token lifetime exceeds ${Math.round(maxLifetimeSeconds / 86_400)} days`);
  }
  const systems: unknown = (claims as Partial<UnifiedToken>).systems;
  const access = Array.isArray(systems)
    ? (systems as Partial<SystemAccess>[]).find((s) => s && s.system === SYSTEM)
    : undefined;
  if (!access) throw new TokenError(403, 'token grants no access to neuroweaver');
  if (!LEVELS.includes(access.level as AccessLevel))
    throw new TokenError(403, 'token has an unknown neuroweaver level');
  // No list, or a list of anything but strings, grants no specialization (fail closed).
  const resources =
    Array.isArray(access.resources) && access.resources.every((r) => typeof r === 'string') ? access.resources : [];
  const claimedRoles: unknown = (claims as Partial<UnifiedToken>).roles;
  const roles = Array.isArray(claimedRoles)
    ? (claimedRoles as Partial<UnifiedToken['roles'][number]>[])
        .filter((r) => r && r.system === SYSTEM && typeof r.name === 'string')
        .map((r) => r.name!)
    : [];
  return { sub: claims.sub, iat: claims.iat, exp: claims.exp, level: access.level as AccessLevel, resources, roles };
}

export interface SignOptions {
  sub: string;
  level: AccessLevel;
  ttlSeconds: number;
  roles?: UnifiedToken['roles'];
  /** Specializations the token may act on; `['*']` (the default) is every one. */
  resources?: string[];
  issuer?: string;
  audience?: string;
}

/** Issues a unified token for NeuroWeaver (used by `npm run token` and tests). */
export function signToken(
  secret: string,
  {
    sub,
    level,
    ttlSeconds,
    roles = [],
    resources = ['*'],
    issuer = DEFAULT_ISSUER,
    audience = DEFAULT_AUDIENCE,
  }: SignOptions,
): string {
  const payload: Omit<UnifiedToken, 'iat' | 'exp'> = {
    sub,
    systems: [{ system: SYSTEM, level, resources }],
    roles,
    permissions: [],
  };
  return jwt.sign(payload, secret, { algorithm: 'HS256', expiresIn: ttlSeconds, issuer, audience });
}

/** Whether the principal may act on `specialization` (object-level authorization, OWASP API1). */
export const mayAccess = (p: Pick<Principal, 'resources'>, specialization: string): boolean =>
  p.resources.includes('*') || p.resources.includes(specialization);

/** The specializations a principal's lists are narrowed to; undefined when it sees every one. */
export const visibleSpecializations = (p: Pick<Principal, 'resources'>): string[] | undefined =>
  p.resources.includes('*') ? undefined : [...p.resources];

/** The role of the worker's probe tokens: read access plus POST /admin/probes, nothing else. */
export const PROBER_ROLE = 'prober';

/** The role of monitoring that reports incidents (POST /watchdogs/{s}/incidents) without write access. */
export const REPORTER_ROLE = 'reporter';
