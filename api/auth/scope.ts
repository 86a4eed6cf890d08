import type { Context } from 'hono';
import { mayAccess, visibleSpecializations } from '../../auth/token';
import type { AppEnv } from '../deps';
import { ApiError, notFound } from '../errors';

/**
 * Object-level authorization (OWASP API1): a token acts only on the specializations its
 * `resources` name (`*`: every one). A named specialization outside them is a 403; an object found
 * by its ID outside them is a 404, as if it did not exist (its ID says nothing to this caller).
 */
export function requireSpecialization(c: Context<AppEnv>, specialization: string): void {
  if (!mayAccess(c.get('principal'), specialization))
    throw new ApiError(403, 'forbidden', `this token may not act on specialization ${specialization}`);
}

/** `object` when its specialization is in the token's scope; otherwise a 404 for `what`. */
export function inScopeOr404<T extends { specialization: string | null }>(
  c: Context<AppEnv>,
  object: T | null | undefined,
  what: string,
): T {
  const principal = c.get('principal');
  // An object of no specialization (rows from before it was recorded) is for unrestricted tokens only.
  const allowed =
    object &&
    (object.specialization === null ? !visibleSpecializations(principal) : mayAccess(principal, object.specialization));
  if (!allowed) throw notFound(what);
  return object;
}

/** For operations over every specialization at once (the thresholds file): only an unrestricted token. */
export function requireEverySpecialization(c: Context<AppEnv>): void {
  if (visibleSpecializations(c.get('principal')))
    throw new ApiError(403, 'forbidden', 'this action needs a token for every specialization (resources: ["*"])');
}

/** What a list shows this caller: undefined = every specialization. */
export const listScope = (c: Context<AppEnv>): string[] | undefined => visibleSpecializations(c.get('principal'));
