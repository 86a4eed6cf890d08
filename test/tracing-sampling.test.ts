import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Hono } from 'hono';
import { HttpMetrics } from '../api/http-metrics';
import { observeRequests } from '../api/observe';
import { RequestStats } from '../api/request-stats';
import { listeningPort, serveApi } from '../api/server';
import { startRequestSpan } from '../api/tracing';
import { Registry } from 'prom-client';
import { inSpan, startTracing, stopTracing, traceHeaders } from '../config/tracing';

/** A caller's sampled trace, as AutoMatrix sends it. */
const SAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Whether a span made under `carrier`'s context records, and what it passes on. */
async function spanUnder(carrier: Record<string, string>) {
  const parent = propagation.extract(context.active(), carrier);
  return context.with(parent, () =>
    inSpan('GET /api/v1/models', SpanKind.SERVER, {}, async (span) => {
      const headers: Record<string, string> = {};
      propagation.inject(context.active(), headers);
      return { recording: span.isRecording(), traceparent: headers.traceparent };
    }),
  );
}

describe('sampling: spans are recorded when something takes them', () => {
  afterEach(() => stopTracing());

  it('with no exporter, starts no sampled trace of its own, yet records and passes on a caller’s sampled one', async () => {
    startTracing('neuroweaver-test', { otel: { endpoint: undefined, samplerRatio: 1 } });
    const own = await spanUnder({});
    expect(own.recording).toBe(false);
    // Still a trace id to pass on, marked not sampled.
    expect(own.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const caller = await spanUnder({ traceparent: SAMPLED });
    expect(caller.recording).toBe(true);
    expect(caller.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });

  it('with something taking spans, samples new traces at the configured ratio', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing('neuroweaver-test', { otel: { endpoint: undefined, samplerRatio: 1 } }, [
      new SimpleSpanProcessor(exporter),
    ]);
    expect((await spanUnder({})).recording).toBe(true);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['GET /api/v1/models']);
  });
});

describe('the API: new traces start only at the request spans that keep them', () => {
  afterEach(() => stopTracing());
  const PATH = '/api/v1/models';
  const request = (headers: Record<string, string> = {}) => new Request(`http://api${PATH}`, { headers });
  /** As api/main.ts starts it, with something taking spans. */
  function startApiTracing(samplerRatio: number) {
    const exporter = new InMemorySpanExporter();
    startTracing(
      'neuroweaver-api',
      { otel: { endpoint: undefined, samplerRatio } },
      [new SimpleSpanProcessor(exporter)],
      {
        newTraces: 'at-requests',
      },
    );
    return exporter;
  }
  /** A workflow start as the Temporal client interceptor makes it: a client span under the active context. */
  function workflowStartHeaders() {
    const span = trace.getTracer('@temporalio/interceptor-client').startSpan('StartWorkflow:train', {
      kind: SpanKind.CLIENT,
    });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), headers);
    const recording = span.isRecording();
    span.end();
    return { recording, traceparent: headers.traceparent };
  }

  it('keeps new traces at the configured ratio, each a recorded span, and makes nothing for the rest', () => {
    const exporter = startApiTracing(0.1);
    const requests = 5_000;
    let kept = 0;
    for (let i = 0; i < requests; i++) {
      const span = startRequestSpan(request(), PATH);
      if (!span) continue;
      kept++;
      span.run(() =>
        expect(workflowStartHeaders()).toMatchObject({ recording: true, traceparent: expect.stringMatching(/-01$/) }),
      );
      span.end(PATH, 200);
    }
    // Binomial(5,000, 0.1): mean 500, standard deviation ~21; these bounds are five of them away.
    expect(kept).toBeGreaterThan(395);
    expect(kept).toBeLessThan(605);
    const spans = exporter.getFinishedSpans();
    expect(spans.filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(kept);
    expect(spans).toHaveLength(2 * kept);
  });

  it('passes on that a request’s new trace was not kept: its workflow start is not sampled, so the workflow takes no second chance', () => {
    const exporter = startApiTracing(0);
    expect(startRequestSpan(request(), PATH)).toBeUndefined();
    expect(workflowStartHeaders()).toEqual({
      recording: false,
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/),
    });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('continues a caller’s trace, sampled or not, and passes its decision on', () => {
    const exporter = startApiTracing(0);
    const sampled = startRequestSpan(request({ traceparent: SAMPLED }), PATH)!;
    sampled.run(() => {
      expect(trace.getActiveSpan()?.isRecording()).toBe(true);
      expect(traceHeaders().traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    });
    sampled.end(PATH, 200);
    const notSampled = startRequestSpan(request({ traceparent: SAMPLED.replace(/-01$/, '-00') }), PATH)!;
    notSampled.run(() => {
      expect(trace.getActiveSpan()?.isRecording()).toBe(false);
      expect(workflowStartHeaders().traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    });
    notSampled.end(PATH, 200);
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.spanContext().traceId])).toEqual([
      [`GET ${PATH}`, '4bf92f3577b34da6a3ce929d0e0e4736'],
    ]);
  });

  it('makes no request span in a process that did not start tracing', () => {
    expect(startRequestSpan(request({ traceparent: SAMPLED }), PATH)).toBeUndefined();
  });

  /** A route served over HTTP as the API serves (the Node adapter, observeRequests): what its request saw. */
  async function serveObserved(run: (get: (headers?: Record<string, string>) => Promise<Seen>) => Promise<void>) {
    const app = new Hono().get(PATH, (c) =>
      c.json({
        traceparent: traceHeaders().traceparent ?? null,
        tenant: propagation.getBaggage(context.active())?.getEntry('tenant')?.value ?? null,
      }),
    );
    const fetch = observeRequests(app.fetch, {
      metrics: new HttpMetrics(new Registry()),
      stats: new RequestStats(),
      lastRoute: () => PATH,
    });
    const server = serveApi(fetch, { port: 0, hostname: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${await listeningPort(server)}${PATH}`;
      await run(async (headers = {}) => (await (await globalThis.fetch(url, { headers })).json()) as Seen);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
  type Seen = { traceparent: string | null; tenant: string | null };

  it('over HTTP (the Node adapter), continues a caller’s trace and makes nothing where none came', async () => {
    const exporter = startApiTracing(0);
    await serveObserved(async (get) => {
      expect(await get()).toEqual({ traceparent: null, tenant: null });
      expect(await get({ TraceParent: SAMPLED })).toEqual({
        traceparent: expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/),
        tenant: null,
      });
    });
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.spanContext().traceId, s.attributes])).toEqual([
      [
        `GET ${PATH}`,
        '4bf92f3577b34da6a3ce929d0e0e4736',
        { 'http.request.method': 'GET', 'http.route': PATH, 'http.response.status_code': 200 },
      ],
    ]);
  });

  it('over HTTP, keeps the baggage a request without a trace brought in the new trace it keeps', async () => {
    const exporter = startApiTracing(1);
    await serveObserved(async (get) => {
      expect(await get({ baggage: 'tenant=relaycore' })).toEqual({
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
        tenant: 'relaycore',
      });
    });
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
