import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { ApiError } from '../errors';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Prometheus scrape endpoint; with METRICS_TOKEN set, only `Authorization: Bearer <token>` may read it. */
export function createMetricsRoutes({
  registry,
  metricsToken,
}: {
  registry: Registry;
  metricsToken: string | undefined;
}) {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    if (metricsToken) {
      const given = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
      if (!given || !sameToken(given, metricsToken)) {
        throw new ApiError(401, 'unauthorized', 'a valid metrics token is required', undefined, {
          'WWW-Authenticate': 'Bearer realm="metrics"',
        });
      }
    }
    return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });
  return app;
}
