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

/**
 * Records one answered request: count and duration by method, route template and status, and the
 * rolling figures of /health/detailed. One pair of label-bound children per (method, route, status):
 * bounded like the labels themselves (route templates).
 */
export function httpRecorder(metrics: ApiMetrics, stats: RequestStats) {
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
  return (method: string, route: string, status: number, seconds: number) => {
    const child = bound(method, route, status);
    child.total.inc();
    child.duration.observe(seconds);
    stats.record(seconds * 1000, status >= 500);
  };
}
