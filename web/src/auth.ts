/**
 * The console's sign-in: the same bearer JWT the API takes, kept in sessionStorage (gone with the
 * tab; never a cookie, never localStorage). `npm start` prints a link carrying the dev token in the
 * URL fragment, which never reaches a server or its logs; it is taken from the address at once.
 */
const KEY = 'neuroweaver.token';
export const LEVELS = ['read', 'write', 'admin'] as const;
export type Level = (typeof LEVELS)[number];

export interface Session {
  token: string;
  sub: string;
  level: Level;
  /** Specializations it may act on; `*` is every one. */
  resources: string[];
  exp: number;
}

/** `#token=…` in the address: stored, and removed from the address and its history entry. */
export function takeTokenFromFragment(): void {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  signIn(decodeURIComponent(match[1]));
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}

export function signIn(token: string): Session {
  const session = decode(token.trim());
  sessionStorage.setItem(KEY, session.token);
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** The stored token as the console reads it (for what to offer; the API decides what is allowed). */
export function currentSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  try {
    const session = decode(token);
    return session.exp * 1_000 > Date.now() ? session : null;
  } catch {
    return null;
  }
}

export const atLeast = (session: Session | null, level: Level) =>
  session !== null && LEVELS.indexOf(session.level) >= LEVELS.indexOf(level);

export const mayActOn = (session: Session | null, specialization: string) =>
  session !== null && (session.resources.includes('*') || session.resources.includes(specialization));

interface Claims {
  sub?: string;
  exp?: number;
  systems?: { system: string; level: string; resources?: string[] }[];
}

function decode(token: string): Session {
  const [, payload] = token.split('.');
  if (!payload) throw new Error('this is not a JWT (three dot-separated parts)');
  let claims: Claims;
  try {
    claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Claims;
  } catch {
    throw new Error('the token’s payload could not be read');
  }
  const access = claims.systems?.find((s) => s.system === 'neuroweaver');
  if (!claims.sub || !claims.exp || !access || !LEVELS.includes(access.level as Level))
    throw new Error('the token grants no NeuroWeaver access level');
  if (claims.exp * 1_000 <= Date.now()) throw new Error('the token has expired');
  return {
    token,
    sub: claims.sub,
    level: access.level as Level,
    resources: access.resources ?? ['*'],
    exp: claims.exp,
  };
}
