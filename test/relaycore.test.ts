import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRelayCoreActivities, RELAYCORE_RETRY, traceparentFor } from '../activities/relaycore';
import { FailureType } from '../workflows/failures';
import {
  emulatorCalls,
  setEmulatorMode,
  startRelayCoreEmulator,
  startRelayCoreEmulatorProcess,
  uniqueDeliveries,
  type RelayCoreEmulator,
} from './helpers/relaycore';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;
const SERVICE_URL = 'http://neuroweaver.test:8002';

/** The error an activity threw (fails the test when it resolved). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the activity to throw');
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Temporal retries anything but a non-retryable ApplicationFailure (or one of RELAYCORE_RETRY's types). */
const retryable = (err: Error) =>
  !(
    err instanceof ApplicationFailure &&
    (err.nonRetryable || RELAYCORE_RETRY.nonRetryableErrorTypes?.includes(err.type ?? ''))
  );

describe('RelayCore connector activities against the emulator', () => {
  let emulator: RelayCoreEmulator;
  let activities: ReturnType<typeof createRelayCoreActivities>;

  beforeAll(async () => {
    emulator = await startRelayCoreEmulator({ port: 0 });
    activities = createRelayCoreActivities({ relaycoreUrl: emulator.url, serviceUrl: SERVICE_URL, timeoutMs: 2_000 });
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  const lastCall = () => emulator.calls[emulator.calls.length - 1];

  it('registers with the payload of seed 000, with an Idempotency-Key and a traceparent', async () => {
    expect(await activities.registerWithRelayCore()).toEqual({
      status: 201,
      body: { service_id: 'neuroweaver-backend', registered: true },
    });
    const call = lastCall();
    expect(call).toMatchObject({ method: 'POST', path: '/api/services/register', status: 201, duplicate: false });
    expect(call.headers['idempotency-key']).toMatch(new RegExp(`^register:${SERVICE_URL}:[0-9a-f]{12}$`));
    expect(call.headers.traceparent).toMatch(TRACEPARENT);
    expect(call.body).toMatchObject({
      service_id: 'neuroweaver-backend',
      name: 'NeuroWeaver Backend',
      type: 'model_service',
      url: SERVICE_URL,
      health_check: '/health',
      capabilities: ['automotive_specialization', 'model_training', 'model_deployment', 'inference_serving'],
    });
    const specs = (call.body as { specializations: { name: string; endpoint: string }[] }).specializations;
    expect(specs.map((s) => [s.name, s.endpoint])).toEqual([
      ['automotive-sales', '/api/v1/inference/automotive-sales'],
      ['service-advisor', '/api/v1/inference/service-advisor'],
      ['parts-specialist', '/api/v1/inference/parts-specialist'],
    ]);

    // A restart registers again with the same key: RelayCore sees one registration.
    expect((await activities.registerWithRelayCore()).status).toBe(201);
    expect(lastCall().duplicate).toBe(true);
    expect(uniqueDeliveries(emulator.calls)).toHaveLength(1);
  });

  it('notifies a deployment', async () => {
    const result = await activities.notifyModelDeployed({
      modelId: 'm-1',
      specialization: 'automotive-sales',
      deploymentId: 'd-1',
      version: '3',
      idempotencyKey: 'deployment-automotive-sales/notify',
    });
    expect(result).toEqual({ status: 200, body: { model_id: 'm-1', acknowledged: true } });
    expect(lastCall()).toMatchObject({
      method: 'POST',
      path: '/api/models/m-1/deployed',
      body: { modelId: 'm-1', specialization: 'automotive-sales', deploymentId: 'd-1', version: '3' },
      headers: {
        'idempotency-key': 'deployment-automotive-sales/notify',
        traceparent: expect.stringMatching(TRACEPARENT),
      },
    });
  });

  it('reports performance with the metrics as the body', async () => {
    const metrics = { errorRate: 0.01, p95LatencyMs: 42, accuracy: 0.91 };
    expect(
      (await activities.reportModelPerformance({ modelId: 'm/2', metrics, idempotencyKey: 'watchdog-x/window-7' }))
        .status,
    ).toBe(200);
    expect(lastCall()).toMatchObject({ method: 'PUT', path: '/api/models/m%2F2/performance', body: metrics });
    expect(lastCall().headers.traceparent).toMatch(TRACEPARENT);
  });

  it('updates a route', async () => {
    const result = await activities.updateRelayCoreRoute({
      specialization: 'parts-specialist',
      modelId: 'm-backup',
      reason: 'error rate 0.2 > 0.05',
      idempotencyKey: 'watchdog-parts/switch-1',
    });
    expect(result).toEqual({
      status: 200,
      body: { specialization: 'parts-specialist', modelId: 'm-backup', reason: 'error rate 0.2 > 0.05', routed: true },
    });
    expect(lastCall()).toMatchObject({
      method: 'PUT',
      path: '/api/routes/parts-specialist',
      body: { modelId: 'm-backup', reason: 'error rate 0.2 > 0.05' },
    });
    expect(lastCall().headers).toEqual({
      'idempotency-key': 'watchdog-parts/switch-1',
      traceparent: expect.stringMatching(TRACEPARENT),
    });
  });

  it('records the same Idempotency-Key twice as one delivery and a duplicate, answered alike', async () => {
    const input = {
      specialization: 'service-advisor',
      modelId: 'm-9',
      reason: 'rollback',
      idempotencyKey: 'wf-1/route',
    };
    const first = await activities.updateRelayCoreRoute(input);
    const second = await activities.updateRelayCoreRoute(input);
    expect(second).toEqual(first);
    expect(emulator.calls.map((c) => c.duplicate)).toEqual([false, true]);
    expect(uniqueDeliveries(emulator.calls)).toHaveLength(1);
    // Both attempts of one delivery are one trace.
    expect(emulator.calls[0].headers.traceparent).toBe(emulator.calls[1].headers.traceparent);
  });

  it('derives the traceparent from the key and the activity attempt (one trace, one span per attempt)', async () => {
    const input = { modelId: 'm-1', metrics: { accuracy: 0.9 }, idempotencyKey: 'wf-2/perf' };
    await new MockActivityEnvironment({ attempt: 1 }).run(activities.reportModelPerformance, input);
    await new MockActivityEnvironment({ attempt: 4 }).run(activities.reportModelPerformance, input);
    const [a, b] = emulator.calls.map((c) => c.headers.traceparent!);
    expect(a).toBe(traceparentFor('wf-2/perf', 1));
    expect(b).toBe(traceparentFor('wf-2/perf', 4));
    expect(a.split('-')[1]).toBe(b.split('-')[1]);
    expect(a.split('-')[2]).not.toBe(b.split('-')[2]);
    expect(traceparentFor('another key', 1).split('-')[1]).not.toBe(a.split('-')[1]);
  });

  it('turns a 4xx into a non-retryable RelayCoreRejected with the status and body', async () => {
    emulator.setMode('reject');
    const err = await failure(
      activities.notifyModelDeployed({
        modelId: 'm-1',
        specialization: 'automotive-sales',
        deploymentId: 'd-1',
        version: '1',
        idempotencyKey: 'wf-3/notify',
      }),
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: true, type: FailureType.RelayCoreRejected });
    expect(err.message).toContain('400');
    expect(err.message).toContain('injected rejection');
    expect((err as ApplicationFailure).details).toEqual([
      { status: 400, body: { error: { code: 'rejected', message: 'RelayCore emulator: injected rejection' } } },
    ]);
    expect(retryable(err)).toBe(false);

    // A contract violation is a 4xx too.
    emulator.setMode('ok');
    const invalid = await failure(
      activities.updateRelayCoreRoute({
        specialization: 'parts-specialist',
        modelId: '',
        reason: 'x',
        idempotencyKey: 'wf-3/route',
      }),
    );
    expect(invalid).toMatchObject({ type: FailureType.RelayCoreRejected, nonRetryable: true });
  });

  it('treats a 503 as retryable, and the retry after the outage is the one delivery', async () => {
    const input = {
      specialization: 'automotive-sales',
      modelId: 'm-2',
      reason: 'switch',
      idempotencyKey: 'wf-4/route',
    };
    emulator.setMode('error');
    const err = await failure(activities.updateRelayCoreRoute(input));
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toMatch(/answered 503/);
    expect(retryable(err)).toBe(true);

    emulator.setMode('ok');
    expect((await activities.updateRelayCoreRoute(input)).status).toBe(200);
    expect(emulator.calls.map((c) => [c.status, c.duplicate])).toEqual([
      [503, false],
      [200, false],
    ]);
    expect(uniqueDeliveries(emulator.calls)).toHaveLength(1);
  });

  it('times out a hanging RelayCore as a retryable error', async () => {
    const quick = createRelayCoreActivities({ relaycoreUrl: emulator.url, serviceUrl: SERVICE_URL, timeoutMs: 300 });
    emulator.setMode('hang');
    const startedAt = Date.now();
    const err = await failure(
      quick.reportModelPerformance({ modelId: 'm-3', metrics: { accuracy: 0.8 }, idempotencyKey: 'wf-5/perf' }),
    );
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toMatch(/timed out after 300 ms/);
    expect(retryable(err)).toBe(true);

    // The abandoned call was not delivered; the retry once RelayCore answers again is.
    await eventually(() => emulator.calls[0].abandoned);
    emulator.setMode('ok');
    expect(
      (await quick.reportModelPerformance({ modelId: 'm-3', metrics: { accuracy: 0.8 }, idempotencyKey: 'wf-5/perf' }))
        .status,
    ).toBe(200);
    expect(emulator.calls.map((c) => [c.mode, c.status, c.duplicate, c.abandoned])).toEqual([
      ['hang', null, false, true],
      ['ok', 200, false, false],
    ]);
  });

  it('answers a hanging call when the mode changes', async () => {
    emulator.setMode('hang');
    const pending = activities.registerWithRelayCore();
    await new Promise((r) => setTimeout(r, 200));
    expect(emulator.calls).toHaveLength(1);
    expect(emulator.calls[0].status).toBeNull();
    emulator.setMode('ok');
    expect((await pending).status).toBe(201);
  });

  it('treats a dropped connection as retryable', async () => {
    emulator.setMode('down');
    const err = await failure(activities.registerWithRelayCore());
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toMatch(/RelayCore POST .*\/api\/services\/register failed/);
    expect(retryable(err)).toBe(true);
    expect(emulator.calls[0]).toMatchObject({ mode: 'down', status: null });
  });

  it('treats a refused connection as retryable', async () => {
    const nowhere = await startRelayCoreEmulator();
    const url = nowhere.url;
    await nowhere.close();
    const err = await failure(
      createRelayCoreActivities({ relaycoreUrl: url, serviceUrl: SERVICE_URL }).registerWithRelayCore(),
    );
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(retryable(err)).toBe(true);
  });

  it('skips every call when RELAYCORE_URL is not set', async () => {
    const off = createRelayCoreActivities({ relaycoreUrl: undefined, serviceUrl: SERVICE_URL });
    const skipped = { status: 0, skipped: true };
    expect(await off.registerWithRelayCore()).toEqual(skipped);
    expect(
      await off.notifyModelDeployed({
        modelId: 'm',
        specialization: 's',
        deploymentId: 'd',
        version: '1',
        idempotencyKey: 'k1',
      }),
    ).toEqual(skipped);
    expect(await off.reportModelPerformance({ modelId: 'm', metrics: {}, idempotencyKey: 'k2' })).toEqual(skipped);
    expect(
      await off.updateRelayCoreRoute({ specialization: 's', modelId: 'm', reason: 'r', idempotencyKey: 'k3' }),
    ).toEqual(skipped);
    expect(emulator.calls).toHaveLength(0);
  });

  it('exports the retry policy workflows proxy these activities with', () => {
    expect(RELAYCORE_RETRY).toEqual({
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: ['RelayCoreRejected'],
    });
    expect(RELAYCORE_RETRY.maximumAttempts).toBeUndefined();
  });
});

describe('RelayCore emulator control API', () => {
  let emulator: RelayCoreEmulator;
  beforeAll(async () => {
    emulator = await startRelayCoreEmulator();
  });
  afterAll(() => emulator.close());

  it('switches modes, lists calls and resets over HTTP', async () => {
    expect((await fetch(`${emulator.url}/health`)).status).toBe(200);
    await setEmulatorMode(emulator.url, 'error');
    expect(emulator.mode()).toBe('error');
    expect((await fetch(`${emulator.url}/health`)).status).toBe(503);
    const bad = await fetch(`${emulator.url}/__emulator/mode`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'sideways' }),
    });
    expect(bad.status).toBe(400);
    await setEmulatorMode(emulator.url, 'ok');
    const res = await fetch(`${emulator.url}/api/routes/x`, {
      method: 'PUT',
      headers: { 'idempotency-key': 'k' },
      body: JSON.stringify({ modelId: 'm', reason: 'r' }),
    });
    expect(res.status).toBe(200);
    expect(await emulatorCalls(emulator.url)).toEqual([
      expect.objectContaining({
        method: 'PUT',
        path: '/api/routes/x',
        body: { modelId: 'm', reason: 'r' },
        headers: { 'idempotency-key': 'k' },
        duplicate: false,
        status: 200,
      }),
    ]);
    expect((await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST' })).status).toBe(200);
    expect(await emulatorCalls(emulator.url)).toEqual([]);
    expect((await fetch(`${emulator.url}/api/nothing`, { method: 'POST' })).status).toBe(404);
  });

  it('closes while a call hangs', async () => {
    const other = await startRelayCoreEmulator();
    other.setMode('hang');
    const pending = fetch(`${other.url}/api/services/register`, { method: 'POST', body: '{}' }).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 100));
    await other.close();
    expect(await pending).toBe('dropped');
  });
});

describe('npm run relaycore:emulator', () => {
  it('serves /health and exits 0 on SIGTERM', async () => {
    const running = await startRelayCoreEmulatorProcess();
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${running.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'healthy', service: 'relaycore-emulator' });
    } finally {
      expect(await running.stop('SIGTERM')).toBe(0);
    }
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
  });

  it('refuses a bad RELAYCORE_EMULATOR_PORT with one line', async () => {
    const err = await startRelayCoreEmulatorProcess('nope').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('RELAYCORE_EMULATOR_PORT: must be a port number');
  });
});
