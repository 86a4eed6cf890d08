import { context, propagation, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import { tracer } from '../config/tracing';

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

export interface RequestSpan {
  /** Runs the request's handling inside the span: everything it starts (workflows, queries) is its child. */
  run<T>(handle: () => T): T;
  /** Names the span by route template and records the status (5xx: an error). */
  end(route: string, status: number): void;
}

/**
 * One server span per request, continuing the caller's trace when a traceparent comes in
 * (AutoMatrix, RelayCore); none for the untraced paths. Only method, route and status are
 * recorded: no paths with ids, no bodies.
 */
export function startRequestSpan(request: Request, path: string): RequestSpan | undefined {
  if (UNTRACED_PATHS.has(path)) return undefined;
  const parent = propagation.extract(context.active(), request.headers, requestHeaders);
  const span = tracer().startSpan(
    request.method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method } },
    parent,
  );
  const active = trace.setSpan(parent, span);
  return {
    run: (handle) => context.with(active, handle),
    end: (route, status) => {
      span.updateName(`${request.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
