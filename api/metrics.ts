import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics';

/** One registry per app instance, so tests can build several apps in one process. */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    /** Every request's count, duration and whether it is still being served (observe.ts). */
    http: new HttpMetrics(registry),
    authFailures: new Counter({
      name: 'neuroweaver_auth_failures_total',
      help: 'Requests rejected by authentication (401) or authorization (403)',
      labelNames: ['status_code'] as const,
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
