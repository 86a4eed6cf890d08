import { createHash } from 'node:crypto';
import { ApiError } from '../errors';

/**
 * Optional second opinion from AutoMatrix (seed 000): `GET {AUTOMATRIX_AUTH_URL}/verify` with the
 * bearer token must answer 200. Verdicts are cached briefly by token hash so a burst of requests
 * makes one call; AutoMatrix being down is a 503, never a silent pass.
 */
export function createAutomatrixVerifier(
  baseUrl: string,
  { ttlMs = 30_000, timeoutMs = 3_000, maxEntries = 10_000 } = {},
) {
  const cache = new Map<string, { ok: boolean; until: number }>();
  const url = `${baseUrl.replace(/\/$/, '')}/verify`;

  return async function verifyWithAutomatrix(token: string): Promise<boolean> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.ok;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new ApiError(503, 'unavailable', 'AutoMatrix auth service is unavailable', undefined, {
        'Retry-After': '5',
      });
    }
    if (response.status >= 500) {
      throw new ApiError(503, 'unavailable', 'AutoMatrix auth service is unavailable', undefined, {
        'Retry-After': '5',
      });
    }
    const ok = response.status === 200;
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(key, { ok, until: Date.now() + ttlMs });
    return ok;
  };
}
