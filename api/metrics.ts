import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestStats } from './request-stats';

/** One registry per app instance, so tests can build several apps in one process. */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status_code'] as const;
  return {
    registry,
    httpRequestsTotal: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered',
      labelNames,
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    httpRequestsInFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served',
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'neuroweaver_auth_failures_total',
      help: 'Requests rejected by authentication (401) or authorization (403)',
      labelNames: ['status_code'] as const,
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** The route template that answered (`/api/v1/models/:id`), never the raw path: labels stay bounded. */
export function routeLabel(c: Parameters<MiddlewareHandler>[0]): string {
  const handlers = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  return handlers.length ? handlers[handlers.length - 1].path : 'unmatched';
}

export function httpMetrics(metrics: ApiMetrics, stats: RequestStats): MiddlewareHandler {
  // One pair of label-bound children per (method, route, status): prom-client otherwise hashes the
  // label object on every observation. Bounded like the labels themselves (route templates).
  const children = new Map<string, { total: Counter.Internal; duration: Histogram.Internal<string> }>();
  const bound = (method: string, route: string, status: number) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method, route, status_code: String(status) };
      child = { total: metrics.httpRequestsTotal.labels(labels), duration: metrics.httpRequestDuration.labels(labels) };
      children.set(key, child);
    }
    return child;
  };
  return async function recordHttpMetrics(c, next) {
    const start = performance.now();
    metrics.httpRequestsInFlight.inc();
    try {
      await next();
    } finally {
      metrics.httpRequestsInFlight.dec();
      const seconds = (performance.now() - start) / 1000;
      const child = bound(c.req.method, routeLabel(c), c.res.status);
      child.total.inc();
      child.duration.observe(seconds);
      stats.record(seconds * 1000, c.res.status >= 500);
    }
  };
}
