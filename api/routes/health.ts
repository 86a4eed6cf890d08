import { Hono } from 'hono';
import { overallStatus, type HealthChecks } from '../health';
import type { RequestStats } from '../request-stats';

const VERSION = (require('../../package.json') as { version: string }).version;

/** `/health` is liveness (no auth, no I/O); `/health/detailed` checks every dependency (seed 003's shape). */
export function createHealthRoutes({ checks, stats, startedAt }: { checks: HealthChecks; stats: RequestStats; startedAt: number }) {
  const app = new Hono();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/health/detailed', async (c) => {
    const [database, temporal, relaycore, modelStorage] = await Promise.all([
      checks.database(),
      checks.temporal(),
      checks.relaycore(),
      checks.modelStorage(),
    ]);
    const dependencies = { database, temporal, relaycore, modelStorage };
    const status = overallStatus(dependencies);
    return c.json(
      {
        status,
        timestamp: new Date().toISOString(),
        uptime: Math.round((Date.now() - startedAt) / 1000),
        version: VERSION,
        dependencies,
        metrics: stats.snapshot(),
      },
      status === 'unhealthy' ? 503 : 200,
    );
  });

  return app;
}
