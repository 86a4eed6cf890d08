import { PROBER_ROLE, SYSTEM, signToken, type TokenParty } from '../../auth/token';
import type { ProbeResult } from '../../workflows/watchdog/types';

export type { ProbeResult };

const TOKEN_TTL_SECONDS = 900;

/**
 * Probes through the API (POST /api/v1/admin/probes): models are measured where they serve, with
 * the serving threads and any injected fault, not in a copy loaded by the worker. Authenticates
 * with a short-lived token signed with the shared JWT secret, renewed before it expires: `read` plus
 * the `prober` role, so a leaked one can probe and read, never deploy, approve or switch anything.
 */
export function createProbeClient({
  apiUrl,
  jwtSecret,
  jwtParty,
  timeoutMs = 15_000,
}: {
  apiUrl: string;
  jwtSecret: string;
  jwtParty?: TokenParty;
  timeoutMs?: number;
}) {
  let token: { value: string; renewAt: number } | undefined;
  const bearer = () => {
    if (!token || Date.now() >= token.renewAt) {
      token = {
        value: signToken(jwtSecret, {
          sub: 'system:watchdog',
          level: 'read',
          ttlSeconds: TOKEN_TTL_SECONDS,
          roles: [{ name: PROBER_ROLE, system: SYSTEM, permissions: ['probe'] }],
          ...jwtParty,
        }),
        renewAt: Date.now() + (TOKEN_TTL_SECONDS - 60) * 1_000,
      };
    }
    return `Bearer ${token.value}`;
  };
  return async function probe(deploymentId: string, examples: number): Promise<ProbeResult> {
    const res = await fetch(`${apiUrl}/api/v1/admin/probes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer() },
      body: JSON.stringify({ deploymentId, examples }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok)
      throw new Error(
        `probe of deployment ${deploymentId}: the API answered ${res.status}: ${(await res.text()).slice(0, 500)}`,
      );
    return (await res.json()) as ProbeResult;
  };
}

export type ProbeClient = ReturnType<typeof createProbeClient>;
