import {
  context,
  propagation,
  ROOT_CONTEXT,
  type SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Config } from './env';

/**
 * OpenTelemetry for one process (API or worker): traces are propagated (W3C traceparent in,
 * through Temporal headers to workflows and activities, out to RelayCore) and exported over
 * OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set. Sampling is parent-based: a caller's decision
 * (AutoMatrix's traceparent) is kept; new traces are sampled at OTEL_TRACES_SAMPLER_ARG — when
 * anything takes spans: with no exporter (the default of `npm start`) the process starts no sampled
 * trace of its own (recording spans nobody reads cost /health a fifth of its throughput), and still
 * records and passes on a caller's sampled one. Where new traces start: see NewTraces. Spans carry
 * ids, models and numbers — never request bodies.
 */
let current:
  | {
      resource: Resource;
      processor: SpanProcessor;
      provider: NodeTracerProvider;
      requests: RequestTracing;
    }
  | undefined;

/** What a request span (api/tracing.ts) needs of the process's tracing, in one lookup per request. */
export interface RequestTracing {
  tracer: Tracer;
  /**
   * The headers the configured propagator reads (traceparent, tracestate and baggage by default):
   * a request with none of them brought no context, and is not searched for one.
   */
  fields: readonly string[];
  /**
   * Whether a request that brought no trace keeps a new one (see NewTraces): asked before anything
   * is made. Under 'anywhere' always, and the sampler decides once the span is made.
   */
  keepsNewTrace(): boolean;
  /** The server span of a request that keeps a new trace (`parent`: what it brought, baggage perhaps). */
  startNewTrace(name: string, kind: SpanKind, parent: Context): Span;
}

export const TRACER_NAME = 'neuroweaver';

/**
 * Where a process starts its new traces.
 * - 'anywhere': any span without a parent samples its trace at the ratio (the worker: activities of
 *   a workflow no traced request started).
 * - 'at-requests': only a request span (api/tracing.ts) starts one, and it decides before it makes
 *   anything (`RequestTracing.keepsNewTrace`). A request it does not keep gets no span and no
 *   context: making them for the requests nobody reads cost a database-backed route ~1.5 % of
 *   its CPU when one in ten was kept, ~2.5 % with no exporter (where none is). Any other span
 *   without a parent (a workflow start of such a request) is not sampled, and the Temporal headers
 *   pass that decision on, so the workflow does not take a second chance.
 */
export type NewTraces = 'anywhere' | 'at-requests';

/**
 * The root sampler of 'at-requests': records exactly the new traces a request span keeps. The span is
 * made (and sampled) synchronously inside `keep`, so a flag says which root is one: a mark on the
 * context instead cost two contexts more per kept request (one to set it, one to take it off again).
 */
class KeptByRequestSampler implements Sampler {
  private keeping = false;
  keep(tracer: Tracer, name: string, kind: SpanKind, parent: Context): Span {
    this.keeping = true;
    try {
      return tracer.startSpan(name, { kind }, parent);
    } finally {
      this.keeping = false;
    }
  }
  shouldSample() {
    return { decision: this.keeping ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }
  toString() {
    return 'KeptByRequestSampler';
  }
}

export function startTracing(
  serviceName: string,
  config: Pick<Config, 'otel'>,
  extraProcessors: SpanProcessor[] = [],
  { newTraces = 'anywhere' }: { newTraces?: NewTraces } = {},
) {
  if (current) return current;
  const resource = new Resource({
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: (require('../package.json') as { version: string }).version,
  });
  const processors = [
    ...(config.otel.endpoint
      ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.otel.endpoint.replace(/\/$/, '')}/v1/traces` }))]
      : []),
    ...extraProcessors,
  ];
  // One processor for the workflow span sink too (workflow spans are made in the sandbox and handed out).
  const processor: SpanProcessor =
    processors.length === 1
      ? processors[0]
      : processors.length
        ? new MultiProcessor(processors)
        : new NoopSpanProcessor();
  const keptByRequest = new KeptByRequestSampler();
  // The tracer provider alone, not NodeSDK: that also loads (and, from the environment, starts) OTLP
  // log and metric exporters, gRPC among them, ~0.1 s and ~10 MiB more per process, for logs and
  // metrics that take other ways here (stdout, prom-client).
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({
      root: !processors.length
        ? new AlwaysOffSampler()
        : newTraces === 'at-requests'
          ? keptByRequest
          : new TraceIdRatioBasedSampler(config.otel.samplerRatio),
    }),
    spanProcessors: [processor],
  });
  // Registers the provider, Node's AsyncLocalStorage context manager and the propagators named by
  // OTEL_PROPAGATORS (W3C trace context and baggage by default), with or without an exporter.
  provider.register();
  // Held, not looked up per span: the provider's getTracer builds a key and searches a map on every call.
  const tracer = trace.getTracer(TRACER_NAME);
  // The share of new traces kept: the configured ratio when anything takes spans, else none.
  const ratio = processors.length ? config.otel.samplerRatio : 0;
  current = {
    resource,
    processor,
    provider,
    requests: {
      tracer,
      fields: propagation.fields(),
      ...(newTraces === 'anywhere'
        ? { keepsNewTrace: () => true, startNewTrace: (name, kind, parent) => tracer.startSpan(name, { kind }, parent) }
        : {
            keepsNewTrace: () => Math.random() < ratio,
            startNewTrace: (name, kind, parent) => keptByRequest.keep(tracer, name, kind, parent),
          }),
    },
  };
  return current;
}

/** Undefined when this process did not start tracing: every span would be a no-op. */
export const requestTracing = (): RequestTracing | undefined => current?.requests;

/** What the workflow span sink needs: the process's resource and span processor (no-op without tracing). */
export function tracingForWorkflows(): { resource: Resource; processor: SpanProcessor } {
  return (
    current ?? {
      resource: new Resource({ [ATTR_SERVICE_NAME]: 'neuroweaver-worker' }),
      processor: new NoopSpanProcessor(),
    }
  );
}

/**
 * Flushes and stops; the global API goes back to no-op (tests start and stop tracing in one
 * process), also when the last export fails, so the next startTracing starts afresh.
 */
export async function stopTracing(): Promise<void> {
  try {
    await current?.provider.shutdown();
  } finally {
    current = undefined;
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

export const tracer = (): Tracer => current?.requests.tracer ?? trace.getTracer(TRACER_NAME);

/** A trace context kept to run work in later (`inTrace`). */
export type TraceContext = Context;

/** The context of the running request or activity (the root outside any). */
export const activeTrace = (): TraceContext => context.active();

/** Runs `fn` in a kept trace context; with none, as a new root (not in whatever context calls it). */
export const inTrace = <T>(saved: TraceContext | undefined, fn: () => T): T => context.with(saved ?? ROOT_CONTEXT, fn);

/** Runs `fn` in a new span (a child of the active one), ending it with the outcome. */
export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message.slice(0, 200) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The W3C headers (traceparent, tracestate) of the active span, for an outgoing call. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/** Adds attributes to the span of the current request or activity, if there is one. */
export function annotateSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

class MultiProcessor implements SpanProcessor {
  constructor(private readonly processors: SpanProcessor[]) {}
  onStart(...args: Parameters<SpanProcessor['onStart']>) {
    for (const p of this.processors) p.onStart(...args);
  }
  onEnd(...args: Parameters<SpanProcessor['onEnd']>) {
    for (const p of this.processors) p.onEnd(...args);
  }
  async forceFlush() {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }
  async shutdown() {
    await Promise.all(this.processors.map((p) => p.shutdown()));
  }
}
