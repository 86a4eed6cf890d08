import { Hono } from 'hono';
import { overallStatus, type HealthChecks } from '../health';
import type { RequestStats } from '../request-stats';

const VERSION = (require('../../package.json') as { version: string }).version;

/** How long one round of dependency checks answers /health/detailed. */
const CHECKS_TTL_MS = 1_000;

/** `/health` is liveness (no auth, no I/O); `/health/detailed` checks every dependency (seed 003's shape). */
export function createHealthRoutes({
  checks,
  stats,
  startedAt,
}: {
  checks: HealthChecks;
  stats: RequestStats;
  startedAt: number;
}) {
  const app = new Hono();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  // Unauthenticated and doing I/O: one round of checks a second at most, however many callers
  // (concurrent ones share the round in flight), so the endpoint cannot be used to load the database.
  let latest:
    | { at: number; result: Promise<{ checkedAt: string; dependencies: Awaited<ReturnType<typeof checkAll>> }> }
    | undefined;
  const checkAll = async () => {
    const [database, temporal, relaycore, modelStorage] = await Promise.all([
      checks.database(),
      checks.temporal(),
      checks.relaycore(),
      checks.modelStorage(),
    ]);
    return { database, temporal, relaycore, modelStorage };
  };
  const checked = () => {
    if (!latest || Date.now() - latest.at >= CHECKS_TTL_MS) {
      const at = Date.now();
      latest = {
        at,
        result: checkAll().then((dependencies) => ({ checkedAt: new Date(at).toISOString(), dependencies })),
      };
    }
    return latest.result;
  };

  app.get('/health/detailed', async (c) => {
    const { checkedAt, dependencies } = await checked();
    const status = overallStatus(dependencies);
    return c.json(
      {
        status,
        timestamp: checkedAt,
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
