import fs from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { PlatformMetricsStore } from '../db/stores/platform-metrics';
import type { ArtifactStore } from '../storage/artifact-store';

/** A key no one writes: asking for it proves the remote store answers (and the credentials work). */
const HEALTH_KEY = '.health/probe';

export type DependencyStatus = 'healthy' | 'unhealthy' | 'not_configured';

export interface DependencyHealth {
  status: DependencyStatus;
  responseTime: number;
  error?: string;
}

const TIMEOUT_MS = 2_000;

async function timed(check: () => Promise<unknown>): Promise<DependencyHealth> {
  const start = performance.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
      ),
    ]);
    return { status: 'healthy', responseTime: Math.round(performance.now() - start) };
  } catch (err) {
    // Only the first line: connection strings and stack traces stay out of a public body.
    const error = String((err as Error).message ?? err)
      .split('\n')[0]
      .slice(0, 200);
    return { status: 'unhealthy', responseTime: Math.round(performance.now() - start), error };
  }
}

export interface HealthChecks {
  database: () => Promise<DependencyHealth>;
  temporal: () => Promise<DependencyHealth>;
  relaycore: () => Promise<DependencyHealth>;
  modelStorage: () => Promise<DependencyHealth>;
}

export function createHealthChecks(deps: {
  database: Pick<PlatformMetricsStore, 'ping'>;
  temporal: Client;
  relaycoreUrl: string | undefined;
  modelStoragePath: string;
  /** The artifact store: a remote one (S3) is asked for a key; answering "no such key" is healthy. */
  artifacts: Pick<ArtifactStore, 'stat' | 'localPath'>;
}): HealthChecks {
  return {
    database: () => timed(() => deps.database.ping()),
    temporal: () => timed(() => deps.temporal.workflowService.getSystemInfo({})),
    relaycore: async () => {
      if (!deps.relaycoreUrl) return { status: 'not_configured', responseTime: 0 };
      return timed(async () => {
        const res = await fetch(`${deps.relaycoreUrl}/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        if (!res.ok) throw new Error(`RelayCore answered ${res.status}`);
      });
    },
    modelStorage: () =>
      timed(async () => {
        await fs.mkdir(deps.modelStoragePath, { recursive: true });
        await fs.access(deps.modelStoragePath, fs.constants.R_OK | fs.constants.W_OK);
        if (deps.artifacts.localPath(HEALTH_KEY) === undefined) await deps.artifacts.stat(HEALTH_KEY);
      }),
  };
}

/** Without the database nothing works; without the others part of the product does. */
export function overallStatus(d: Record<keyof HealthChecks, DependencyHealth>): 'healthy' | 'degraded' | 'unhealthy' {
  if (d.database.status === 'unhealthy') return 'unhealthy';
  if (Object.values(d).some((x) => x.status === 'unhealthy')) return 'degraded';
  return 'healthy';
}
