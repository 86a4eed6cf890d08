import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { inSpan } from '../config/tracing';
import { routeLabel } from './metrics';

/**
 * One server span per request, named by route template, continuing the caller's trace when a
 * traceparent comes in (AutoMatrix, RelayCore). Everything the request starts (workflows,
 * queries) is its child. Only method, route and status are recorded: no paths with ids, no bodies.
 */
export function requestTracing(): MiddlewareHandler {
  return async function traceRequest(c, next) {
    const parent = propagation.extract(context.active(), Object.fromEntries(c.req.raw.headers));
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
