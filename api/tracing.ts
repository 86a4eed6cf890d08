import { context, propagation, SpanKind, SpanStatusCode, type TextMapGetter } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { inSpan } from '../config/tracing';
import { routeLabel } from './metrics';

/**
 * One server span per request, named by route template, continuing the caller's trace when a
 * traceparent comes in (AutoMatrix, RelayCore). Everything the request starts (workflows,
 * queries) is its child. Only method, route and status are recorded: no paths with ids, no bodies.
 */
/**
 * Reads the propagation headers one by one: the Node adapter looks a single header up in the raw
 * request, while copying them all (`Object.fromEntries`) builds a web `Headers` for every request.
 */
const requestHeaders: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * Liveness probes and Prometheus scrapes, every few seconds from every replica: spans of them
 * would bury the traces worth reading, and a span per probe cost /health a tenth of its rate.
 */
const UNTRACED_PATHS = new Set(['/health', '/metrics']);

export function requestTracing(): MiddlewareHandler {
  return async function traceRequest(c, next) {
    if (UNTRACED_PATHS.has(c.req.path)) return next();
    const parent = propagation.extract(context.active(), c.req.raw.headers, requestHeaders);
    await context.with(parent, () =>
      inSpan(`${c.req.method}`, SpanKind.SERVER, { 'http.request.method': c.req.method }, async (span) => {
        await next();
        const route = routeLabel(c);
        span.updateName(`${c.req.method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }),
    );
  };
}
