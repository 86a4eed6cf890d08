import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import { keepNewRequestTrace, tracer, tracingStarted } from '../config/tracing';

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

/** A class, not an object of closures: tsx names each function it assigns (a defineProperty), per request. */
class ServerSpan implements RequestSpan {
  constructor(
    private readonly method: string,
    private readonly span: Span,
    private readonly active: Context,
  ) {}

  run<T>(handle: () => T): T {
    return context.with(this.active, handle);
  }

  end(route: string, status: number): void {
    this.span.updateName(`${this.method} ${route}`);
    this.span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
    if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}

/**
 * One server span per request, continuing the caller's trace when a traceparent comes in
 * (AutoMatrix, RelayCore); none for the untraced paths. Only method, route and status are
 * recorded: no paths with ids, no bodies.
 */
export function startRequestSpan(request: Request, path: string): RequestSpan | undefined {
  if (UNTRACED_PATHS.has(path) || !tracingStarted()) return undefined;
  const extracted = propagation.extract(context.active(), request.headers, requestHeaders);
  // A caller's trace, sampled or not, is continued and its decision passed on; a new one only if kept.
  const parent = trace.getSpanContext(extracted) ? extracted : keepNewRequestTrace(extracted);
  if (!parent) return undefined;
  const span = tracer().startSpan(request.method, { kind: SpanKind.SERVER }, parent);
  // Set on the span, not passed to startSpan: the SDK copies and checks passed attributes before it
  // samples, for the nine in ten spans it then drops.
  span.setAttribute('http.request.method', request.method);
  return new ServerSpan(request.method, span, trace.setSpan(parent, span));
}
