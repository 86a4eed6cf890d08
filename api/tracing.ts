import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import { requestTracing } from '../config/tracing';

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
    // All at the end, in one call: the SDK counts a span's attributes again on each one it sets.
    this.span.setAttributes({
      'http.request.method': this.method,
      'http.route': route,
      'http.response.status_code': status,
    });
    if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}

/**
 * A server span for a request that continues a caller's trace (a traceparent from AutoMatrix or
 * RelayCore) or keeps a new one (config/tracing.ts NewTraces); none for the untraced paths or
 * for the other requests. Only method, route and status are recorded: no paths with ids, no bodies.
 */
export function startRequestSpan(request: Request, path: string): RequestSpan | undefined {
  if (UNTRACED_PATHS.has(path)) return undefined;
  // Without tracing every span is a no-op; making one would still cost a context per request.
  const tracing = requestTracing();
  if (!tracing) return undefined;
  const headers = request.headers;
  const brought = tracing.fields.some((field) => headers.get(field) !== null);
  // A request without them starts from the root: nothing of another request's trace is its parent.
  const parent = brought ? propagation.extract(ROOT_CONTEXT, headers, requestHeaders) : ROOT_CONTEXT;
  // A caller's trace, sampled or not, is continued and its decision passed on; a new one only if kept.
  const continued = trace.getSpanContext(parent) !== undefined;
  if (!continued && !tracing.keepsNewTrace()) return undefined;
  const method = request.method;
  const span = continued
    ? tracing.tracer.startSpan(method, { kind: SpanKind.SERVER }, parent)
    : tracing.startNewTrace(method, SpanKind.SERVER, parent);
  return new ServerSpan(method, span, trace.setSpan(parent, span));
}
