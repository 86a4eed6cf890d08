import path from 'node:path';
import { createApp } from '../api/app';
import { InferencePool, ModelFailure } from '../api/inference/pool';
import type { InferenceResult } from '../api/inference/service';
import { createLogger } from '../config/logger';
import { Op, QueryTypes } from 'sequelize';
import { modelsOf } from '../db/models';
import { createWatchdogStore } from '../db/stores/watchdog';
import { combine } from '../activities/watchdog/observe';
import { testConfig, uniqueName } from './helpers/env';
import {
  createInferenceTestApp,
  deployModel,
  infer,
  LABELS,
  setRouting,
  writeClassifier,
  type InferenceTestApp,
  type Served,
} from './helpers/inference';
import { bearer, tokenFor } from './helpers/tokens';
import { eventually } from './helpers/training';

type Answer = InferenceResult;
interface ErrorAnswer {
  error: { code: string; message: string; details?: { fields: { field: string }[] } };
}

describe('inference serving', () => {
  let t: InferenceTestApp;
  const reader = bearer(tokenFor('read', 'relaycore'));
  const admin = bearer(tokenFor('admin', 'ops'));
  const writer = bearer(tokenFor('write', 'dev'));
  const spec = uniqueName('spec');
  /** Every specialization this file routes, unrouted again afterwards: other files' apps share the database. */
  const specs = [spec];
  const newSpec = () => {
    const name = uniqueName('spec');
    specs.push(name);
    return name;
  };
  let stable: Served;
  let canary: Served;

  const ask = async (input = 'what is the price of financing this suv', specialization = spec, headers = reader) => {
    const res = await infer(t, specialization, { input }, headers);
    const body = (await res.json()) as Answer & ErrorAnswer;
    return { status: res.status, body, headers: res.headers };
  };

  beforeAll(async () => {
    t = await createInferenceTestApp({ NW_ENABLE_FAULTS: '1', NW_INFERENCE_THREADS: '2' });
    const storage = t.config.modelStoragePath;
    // One manifest beside model.onnx (the default), one named by config.manifestPath.
    stable = await deployModel(t, spec, writeClassifier(storage, 'stable/1'));
    canary = await deployModel(
      t,
      spec,
      writeClassifier(storage, 'canary/2', 'canary/2/meta/serving-manifest.json'),
      '2',
    );
    await setRouting(t, spec, { stable, canary, canaryWeight: 0 });
  });
  afterAll(async () => {
    await modelsOf(t.deps.sequelize).Routing.destroy({ where: { specialization: { [Op.in]: specs } } });
    await t.close();
  });

  it('answers from the stable deployment with the model output, for a read token', async () => {
    const { status, body, headers } = await ask();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      modelId: stable.modelId,
      modelName: stable.name,
      version: '1',
      deploymentId: stable.deploymentId,
      track: 'stable',
    });
    expect(body.output.label).toBe('automotive-sales');
    expect(Object.keys(body.output.scores).sort()).toEqual(LABELS);
    expect(Object.values(body.output.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(body.latencyMs).toBeGreaterThan(0);
    expect(headers.get('x-request-id')).toBe(body.requestId);
    expect((await ask('my brakes make a noise, I need an appointment for a repair')).body.output.label).toBe(
      'service-advisor',
    );
    expect((await ask('do you have oem brake pads and an oil filter part')).body.output.label).toBe('parts-specialist');
  });

  it('follows the routing table within a second: canary weight 100, then 0', async () => {
    const switchTo = async (weight: number, track: 'stable' | 'canary') => {
      await setRouting(t, spec, { stable, canary, canaryWeight: weight });
      const changedAt = Date.now();
      // No sleeping: ask until the poll has seen the change.
      const seen = await eventually(
        () => ask(),
        (a) => a.body.track === track,
        3_000,
      );
      expect(Date.now() - changedAt).toBeLessThan(1_500);
      return seen.body;
    };
    const fromCanary = await switchTo(100, 'canary');
    expect(fromCanary).toMatchObject({ modelId: canary.modelId, deploymentId: canary.deploymentId, version: '2' });
    for (let i = 0; i < 10; i++) expect((await ask()).body.track).toBe('canary');
    await switchTo(0, 'stable');
    for (let i = 0; i < 10; i++) expect((await ask()).body.track).toBe('stable');
  });

  it('sends canaryWeight percent of requests to the canary', async () => {
    await setRouting(t, spec, { stable, canary, canaryWeight: 30 });
    await t.inference.router.refresh();
    expect(t.inference.router.pick(spec, () => 0.29)?.track).toBe('canary');
    expect(t.inference.router.pick(spec, () => 0.3)?.track).toBe('stable');
    await setRouting(t, spec, { stable, canary, canaryWeight: 0 });
    await t.inference.router.refresh();
  });

  it('answers 404 for a specialization nobody has, 503 when nothing is deployed for a known one', async () => {
    const unknown = await ask(undefined, uniqueName('nobody'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');

    // Registered but never routed.
    const registered = newSpec();
    await deployModel(t, registered, { modelPath: 'nowhere/model.onnx' });
    const notRouted = await ask(undefined, registered);
    expect(notRouted.status).toBe(503);
    expect(notRouted.body.error.code).toBe('unavailable');
    expect(notRouted.headers.get('retry-after')).toBeTruthy();

    // A routing row that routes to nothing (e.g. after an abort), for a specialization with no model at all.
    const empty = newSpec();
    await setRouting(t, empty, {});
    await t.inference.router.refresh();
    const routedToNothing = await ask(undefined, empty);
    expect(routedToNothing.status).toBe(503);
    expect(routedToNothing.headers.get('retry-after')).toBeTruthy();
  });

  it.each([
    ['no input', {}, 'body.input'],
    ['an empty input', { input: '' }, 'body.input'],
    ['an input over 10,000 characters', { input: 'x'.repeat(10_001) }, 'body.input'],
    ['a number', { input: 42 }, 'body.input'],
    ['an unknown field', { input: 'ok', temperature: 1 }, 'body'],
  ])('rejects %s with 400 naming the field', async (_, body, field) => {
    const res = await infer(t, spec, body, reader);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as ErrorAnswer;
    expect(answer.error.code).toBe('validation_error');
    expect(answer.error.details!.fields.map((f) => f.field)).toContain(field);
  });

  it('needs a token, and answers 502 model_error (recorded) when the model cannot be loaded', async () => {
    expect((await infer(t, spec, { input: 'hi' }, {})).status).toBe(401);
    const broken = newSpec();
    const missing = await deployModel(t, broken, { modelPath: 'missing/model.onnx' });
    await setRouting(t, broken, { stable: missing });
    await t.inference.router.refresh();
    const res = await ask(undefined, broken);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('model_error');
    expect(res.body.error.message).not.toContain(t.config.modelStoragePath);
    expect(t.inference.getWindowStats(missing.deploymentId, 60)).toMatchObject({
      requests: 1,
      errors: 1,
      errorRate: 1,
    });
  });

  it('records every request: windows, Prometheus and performance_metrics rows in batches', async () => {
    const ids = Array.from({ length: 5 }, () => uniqueName('req'));
    const answers: Answer[] = [];
    for (const id of ids) {
      const res = await infer(t, spec, { input: 'lease price' }, { ...reader, 'x-request-id': id });
      answers.push((await res.json()) as Answer);
    }
    expect(answers.map((a) => a.requestId)).toEqual(ids);

    // Written by the batch timer, not by us.
    const rows = await eventually(
      () =>
        modelsOf(t.deps.sequelize).PerformanceMetric.findAll({
          where: { deploymentId: stable.deploymentId, metricType: 'inference_latency_ms' },
        }),
      (r) => ids.every((id) => r.some((row) => row.metadata?.requestId === id)),
      5_000,
    );
    for (const answer of answers) {
      const row = rows.find((r) => r.metadata?.requestId === answer.requestId)!;
      expect(row.modelId).toBe(stable.modelId);
      expect(row.metricValue).toBeCloseTo(answer.latencyMs, 3);
      expect(row.metadata).toEqual({
        ok: true,
        specialization: spec,
        requestId: answer.requestId,
        track: 'stable',
        tokens: 4,
        costDollars: answer.usage.costDollars,
      });
      expect(row.timestamp).toBeInstanceOf(Date);
    }

    const window = t.inference.getWindowStats(stable.deploymentId, 300);
    expect(window.requests).toBeGreaterThanOrEqual(ids.length);
    expect(window.errors).toBe(0);
    // The in-memory window and the SQL a deployment analysis would run over the rows agree.
    await t.inference.flushMetrics();
    const [sql] = await t.deps.sequelize.query<{ requests: number; errors: number; p95: string }>(
      `SELECT count(*)::int AS requests, count(*) FILTER (WHERE NOT (metadata->>'ok')::boolean)::int AS errors,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY metric_value) AS p95
       FROM performance_metrics WHERE deployment_id = $1 AND metric_type = 'inference_latency_ms'`,
      { bind: [stable.deploymentId], type: QueryTypes.SELECT },
    );
    expect(window).toMatchObject({ requests: sql.requests, errors: sql.errors });
    expect(window.p95LatencyMs).toBeCloseTo(Number(sql.p95), 3);

    const metrics = await (await t.app.request('/metrics')).text();
    expect(metrics).toMatch(
      new RegExp(
        `neuroweaver_model_inferences_total\\{model_id="${stable.modelId}",specialization="${spec}",status="success"\\} \\d+`,
      ),
    );
    expect(metrics).toContain(
      `neuroweaver_inference_duration_seconds_bucket{le="0.005",model_id="${stable.modelId}",specialization="${spec}"}`,
    );
    expect(metrics).toContain(
      `neuroweaver_inference_duration_seconds_count{model_id="${stable.modelId}",specialization="${spec}"}`,
    );
  });

  it("counts each request's tokens with the model's tokenizer and prices them from its registry entry", async () => {
    // 'lease price' is 2 tokens, the label 'automotive-sales' 2 more: 4 tokens at the announced 0.002 per 1,000.
    const plain = await ask('lease price');
    expect(plain.body.usage).toMatchObject({ inputTokens: 2, outputTokens: 2, costPer1kTokens: 0.002 });
    expect(plain.body.usage.costDollars).toBeCloseTo(0.000008, 15);

    const priced = newSpec();
    const served = await deployModel(t, priced, writeClassifier(t.config.modelStoragePath, 'priced/1'), '1', {
      costPer1kTokens: 0.05,
    });
    await setRouting(t, priced, { stable: served, canaryWeight: 0 });
    const { status, body } = await eventually(
      () => ask('What is the PRICE of financing this SUV?', priced),
      (a) => a.status === 200,
      5_000,
    );
    expect(body.usage.inputTokens).toBe(8);
    expect(body.usage.costPer1kTokens).toBe(0.05);
    expect(body.usage.costDollars).toBeCloseTo(((8 + body.usage.outputTokens) / 1_000) * 0.05, 12);
    expect(status).toBe(200);

    const metrics = await (await t.app.request('/metrics')).text();
    expect(metrics).toMatch(new RegExp(`ai_response_tokens_count\\{specialization="${priced}",track="stable"\\} 1\\b`));
    expect(metrics).toMatch(
      new RegExp(
        `ai_request_cost_dollars_sum\\{specialization="${priced}",track="stable"\\} ${body.usage.costDollars}`.replace(
          /\./g,
          '\\.',
        ),
      ),
    );

    // The watchdog's window reads what the requests were charged: the registry's price, measured.
    await t.inference.flushMetrics();
    const live = await createWatchdogStore(t.deps.sequelize).liveWindow(
      served.deploymentId,
      new Date(Date.now() - 60_000),
      new Date(Date.now() + 1_000),
    );
    expect(live).toMatchObject({ errors: 0, tokens: 8 + body.usage.outputTokens });
    expect(combine(live, null, 1, 250).costPer1kTokens).toBeCloseTo(0.05, 12);
  });

  it("releases a model's sessions in every thread once it is no longer routed", async () => {
    const own = newSpec();
    const model = await deployModel(t, own, writeClassifier(t.config.modelStoragePath, 'released/1'));
    await setRouting(t, own, { stable: model });
    await t.inference.router.refresh();
    expect((await ask(undefined, own)).body.modelId).toBe(model.modelId);
    const before = await t.inference.pool.sessions();
    expect(before).toHaveLength(2);
    for (const thread of before) expect(thread).toContain(model.modelId);

    await setRouting(t, own, {});
    const after = await eventually(
      () => t.inference.pool.sessions(),
      (threads) => threads.every((s) => !s.includes(model.modelId)),
      3_000,
    );
    for (const thread of after) expect(thread).toContain(stable.modelId);
    expect((await ask(undefined, own)).status).toBe(503);
  });

  it('keeps /health answering while a burst of inference requests is in flight', async () => {
    const total = 200;
    const input = 'price of financing a lease on this suv with a trade in '.repeat(180).slice(0, 10_000);
    let finished = 0;
    const burst = Array.from({ length: total }, () =>
      ask(input).then((a) => {
        finished += 1;
        return a;
      }),
    );
    const runsBefore = t.inference.pool.runsPerThread().reduce((a, b) => a + b, 0);
    // Wait until inference is really under way (some answered), then probe health repeatedly.
    await eventually(
      async () => finished,
      (n) => n >= 5,
      30_000,
    );
    const probes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.request('/health');
      expect(res.status).toBe(200);
      probes.push(finished);
    }
    const answers = await Promise.all(burst);
    // Every probe answered while inference requests were still waiting for their threads.
    for (const seen of probes) expect(seen).toBeLessThan(total);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // …and the model work ran in the pool's threads, both of them.
    const runs = t.inference.pool.runsPerThread();
    expect(runs.reduce((a, b) => a + b, 0) - runsBefore).toBe(total);
    expect(runs.every((r) => r > 0)).toBe(true);
  });

  it('closes the pool safely while models load and requests run (no process abort)', async () => {
    const storage = t.config.modelStoragePath;
    const files = {
      modelFile: path.join(storage, 'stable/1/model.onnx'),
      manifestFile: path.join(storage, 'stable/1/manifest.json'),
    };
    for (let round = 0; round < 3; round++) {
      const pool = new InferencePool({ size: 2, logger: createLogger('test', 'silent') });
      const loading = pool.load('m', files);
      const runs = loading.then(() =>
        Promise.allSettled(Array.from({ length: 30 }, () => pool.run('m', 'price '.repeat(1_000)))),
      );
      if (round > 0) await loading; // round 0 closes in the middle of the load
      await pool.close();
      for (const r of await runs.catch(() => [])) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(Error);
      }
      expect(await pool.sessions()).toEqual([]);
    }
    await expect(
      new InferencePool({ size: 1, logger: createLogger('test', 'silent') }).run('m', 'x'),
    ).rejects.toBeInstanceOf(ModelFailure);
  });

  describe('fault injection', () => {
    const faults = '/api/v1/admin/faults';
    const post = (body: unknown, headers = admin) =>
      t.app.request(faults, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    afterEach(async () => {
      await t.app.request(`${faults}/${stable.modelId}`, { method: 'DELETE', headers: admin });
    });

    it('is not there unless NW_ENABLE_FAULTS is on', async () => {
      const off = createApp({ ...t.deps, config: testConfig() });
      try {
        const res = await off.app.request(faults, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...admin },
          body: JSON.stringify({ modelId: stable.modelId, errorRate: 1, ttl: 60 }),
        });
        expect(res.status).toBe(404);
        expect((await off.app.request(faults, { headers: admin })).status).toBe(404);
        const doc = (await (await off.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
        expect(Object.keys(doc.paths)).not.toContain('/api/v1/admin/faults');
      } finally {
        await off.close();
      }
    });

    it('is for admins only', async () => {
      expect((await post({ modelId: stable.modelId, errorRate: 1, ttl: 60 }, writer)).status).toBe(403);
      expect((await post({ modelId: stable.modelId, errorRate: 1, ttl: 60 }, reader)).status).toBe(403);
      expect((await t.app.request(faults, { headers: writer })).status).toBe(403);
      expect((await t.app.request(`${faults}/${stable.modelId}`, { method: 'DELETE', headers: writer })).status).toBe(
        403,
      );
    });

    it('validates the fault', async () => {
      const bad = await post({ modelId: stable.modelId, errorRate: 2, ttl: 60 });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as ErrorAnswer).error.details!.fields.map((f) => f.field)).toContain('body.errorRate');
      expect((await post({ modelId: stable.modelId, ttl: 60 })).status).toBe(400);
      expect((await post({ modelId: '00000000-0000-4000-8000-000000000000', errorRate: 1, ttl: 60 })).status).toBe(404);
    });

    it('fails requests of the model with 502 model_error, recorded ok=false, until lifted', async () => {
      const created = await post({ modelId: stable.modelId, errorRate: 1, ttl: 60 });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({
        modelId: stable.modelId,
        errorRate: 1,
        latencyMs: 0,
        ttl: 60,
        createdBy: 'ops',
      });
      const list = (await (await t.app.request(faults, { headers: admin })).json()) as { items: { modelId: string }[] };
      expect(list.items.map((f) => f.modelId)).toContain(stable.modelId);

      const errorsBefore = t.inference.getWindowStats(stable.deploymentId, 300).errors;
      const failed = await infer(t, spec, { input: 'price' }, { ...reader, 'x-request-id': uniqueName('failing') });
      expect(failed.status).toBe(502);
      expect(((await failed.json()) as ErrorAnswer).error.code).toBe('model_error');
      expect(t.inference.getWindowStats(stable.deploymentId, 300).errors).toBe(errorsBefore + 1);
      const requestId = failed.headers.get('x-request-id')!;
      await t.inference.flushMetrics();
      const [row] = await modelsOf(t.deps.sequelize)
        .PerformanceMetric.findAll({ where: { deploymentId: stable.deploymentId } })
        .then((rows) => rows.filter((r) => r.metadata?.requestId === requestId));
      expect(row.metadata).toEqual({ ok: false, specialization: spec, requestId, track: 'stable' });
      const metrics = await (await t.app.request('/metrics')).text();
      expect(metrics).toContain(
        `neuroweaver_model_inferences_total{model_id="${stable.modelId}",specialization="${spec}",status="error"} 1`,
      );

      expect((await t.app.request(`${faults}/${stable.modelId}`, { method: 'DELETE', headers: admin })).status).toBe(
        204,
      );
      expect((await ask()).status).toBe(200);
      expect((await t.app.request(`${faults}/${stable.modelId}`, { method: 'DELETE', headers: admin })).status).toBe(
        404,
      );
    });

    it('adds latency, which the answer and the recorded row show', async () => {
      expect((await post({ modelId: stable.modelId, latencyMs: 150, ttl: 60 })).status).toBe(201);
      const { status, body } = await ask();
      expect(status).toBe(200);
      expect(body.latencyMs).toBeGreaterThanOrEqual(150);
      await t.inference.flushMetrics();
      const rows = await modelsOf(t.deps.sequelize).PerformanceMetric.findAll({
        where: { deploymentId: stable.deploymentId },
      });
      expect(rows.find((r) => r.metadata?.requestId === body.requestId)!.metricValue).toBeGreaterThanOrEqual(150);
    });

    it('lifts itself when its ttl runs out', async () => {
      expect((await post({ modelId: stable.modelId, errorRate: 1, ttl: 1 })).status).toBe(201);
      expect((await ask()).status).toBe(502);
      await eventually(
        () => ask(),
        (a) => a.status === 200,
        3_000,
      );
    });
  });

  it('documents the routes in /openapi.json', async () => {
    const doc = (await (await t.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.paths['/api/v1/inference/{specialization}']).toHaveProperty('post');
    expect(doc.paths['/api/v1/admin/faults']).toHaveProperty('post');
    expect(doc.paths['/api/v1/admin/faults/{modelId}']).toHaveProperty('delete');
  });
});
