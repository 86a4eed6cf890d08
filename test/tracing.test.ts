import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing } from '../config/tracing';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { registerServableModel } from '../support/servable-model';
import { startRelayCoreEmulator, type RelayCoreEmulator } from './helpers/relaycore';
import { bearer, tokenFor } from './helpers/tokens';
import { startTraffic } from './helpers/traffic';
import { eventually } from './helpers/training';
import { withWorker } from './helpers/worker';

/** An incoming W3C traceparent, as AutoMatrix would send it (sampled). */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('one trace from an API request through the workflow and its activities to RelayCore', () => {
  jest.setTimeout(180_000);
  const exporter = new InMemorySpanExporter();
  let t: TestApp;
  let relaycore: RelayCoreEmulator;

  beforeAll(async () => {
    // Before the app and the workers exist, as api/main.ts and worker/main.ts do; spans collected in memory.
    startTracing('neuroweaver-test', { otel: { endpoint: undefined, samplerRatio: 0 } }, [
      new SimpleSpanProcessor(exporter),
    ]);
    relaycore = await startRelayCoreEmulator();
    t = await createTestApp({ RELAYCORE_URL: relaycore.url });
  });
  afterAll(async () => {
    await t.close();
    await relaycore.close();
    await stopTracing();
  });

  it('continues the caller trace: API span → StartWorkflow → workflow → activities → RelayCore call with the same trace id', async () => {
    const specialization = uniqueName('traced');
    const model = await registerServableModel(t, specialization);
    // steps [100] and a latency-tolerant analysis are weaker than the gate policy: an admin's choice.
    const writer = bearer(tokenFor('admin', 'automatrix'));
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, bearer(tokenFor('read', 'relaycore')));
      const res = await t.app.request(
        `/api/v1/models/${model.id}/deploy`,
        json(
          {
            specialization,
            steps: [100],
            watch: false,
            analysis: { windowSeconds: 1, minRequests: 3, maxWindows: 10, maxP95LatencyMs: 30_000 },
          },
          { ...writer, traceparent: TRACEPARENT },
        ),
      );
      expect(res.status).toBe(202);
      const { workflowId } = (await res.json()) as { workflowId: string };
      expect(await t.temporal.workflow.getHandle(workflowId).result()).toMatchObject({ outcome: 'promoted' });
      await traffic.stop();
      const answer = await t.app.request(
        `/api/v1/inference/${specialization}`,
        json(
          { input: 'I need new brake pads for a 2019 Civic' },
          { ...bearer(tokenFor('read', 'relaycore')), traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
        ),
      );
      expect(answer.status).toBe(200);
    });

    // Sampling ratio 0: only the caller's sampled decision (parent-based) makes these spans record.
    const spans = await eventually(
      async () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID),
      (s) => s.some((x) => x.name.startsWith('RelayCore')),
      30_000,
    );
    const names = spans.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /api/v1/models/:id/deploy',
        'StartWorkflow:deployModel',
        'RunWorkflow:deployModel',
        'RunActivity:stageModel',
        'RunActivity:promoteDeployment',
        'RunActivity:updateRelayCoreRoute',
        'RelayCore PUT',
      ]),
    );
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanId ?? '');
    const api = spans.find((s) => s.name === 'POST /api/v1/models/:id/deploy')!;
    expect(api.parentSpanId).toBe('00f067aa0ba902b7');
    expect(api.attributes).toMatchObject({
      'workflow.id': `deployment-${specialization}`,
      'model.id': model.id,
      'http.response.status_code': 202,
    });
    // The RelayCore call hangs under its activity, under the workflow, under the API request.
    const relaySpan = spans.find(
      (s) => s.name === 'RelayCore PUT' && parentOf(s)?.name === 'RunActivity:updateRelayCoreRoute',
    )!;
    const chain: string[] = [];
    for (let s: ReadableSpan | undefined = relaySpan; s; s = parentOf(s)) chain.push(s.name);
    expect(chain).toEqual(
      expect.arrayContaining([
        'RelayCore PUT',
        'RunActivity:updateRelayCoreRoute',
        'RunWorkflow:deployModel',
        'StartWorkflow:deployModel',
        'POST /api/v1/models/:id/deploy',
      ]),
    );
    expect(relaySpan.attributes).toMatchObject({
      'workflow.id': `deployment-${specialization}`,
      'http.response.status_code': 200,
    });

    // RelayCore received the trace: its traceparent names this trace and the call's span.
    const routeCall = relaycore.calls.find((c) => c.path === `/api/routes/${specialization}` && !c.duplicate)!;
    expect(routeCall.headers.traceparent).toBe(`00-${TRACE_ID}-${relaySpan.spanContext().spanId}-01`);

    // Inference spans carry the model and numbers, never the text.
    const inference = exporter.getFinishedSpans().find((s) => s.spanContext().traceId === '1'.repeat(32));
    expect(inference?.name).toBe('POST /api/v1/inference/:specialization');
    expect(inference?.attributes).toMatchObject({
      'ai.model': `${model.name}@1`,
      'ai.tokens': expect.any(Number),
      'ai.cost': expect.any(Number),
    });
    const everything = JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes));
    expect(everything).not.toMatch(/brake|oil change|SUV/i);
  });
});
