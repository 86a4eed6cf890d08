import { context, propagation, SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { inSpan, startTracing, stopTracing } from '../config/tracing';

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
