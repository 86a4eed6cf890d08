import { allowedMethods, concreteMethods, shadowedPaths } from '../api/allowed-methods';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkArtifact } from '../activities/model-artifact';
import { ArtifactCache } from '../storage/artifact-cache';
import { createLocalStore } from '../storage/local-store';
import { ProbeSets } from '../api/inference/probe-sets';
import { RequestStats } from '../api/request-stats';
import { Hono } from 'hono';
import { RouteRecordingRouter, UNMATCHED_ROUTE } from '../api/route-router';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, HttpMetrics } from '../api/http-metrics';
import { seededRandom } from '../workflows/watchdog/simulator';
import { createStartPace } from '../api/services/start-pace';
import { workflowUrl } from '../api/web-ui';
import { parseDuration } from '../scripts/duration';

describe('RequestStats', () => {
  it('reports rate, error rate and mean latency over the last minute only', () => {
    let now = 1_000_000;
    const stats = new RequestStats(60, () => now);
    stats.record(10, false);
    stats.record(30, true);
    expect(stats.snapshot()).toEqual({ requestsPerMinute: 2, errorRate: 0.5, avgResponseTime: 20 });
    now += 61_000;
    stats.record(5, false);
    expect(stats.snapshot()).toEqual({ requestsPerMinute: 1, errorRate: 0, avgResponseTime: 5 });
    now += 120_000;
    expect(stats.snapshot()).toEqual({ requestsPerMinute: 0, errorRate: 0, avgResponseTime: 0 });
  });
});

describe('HTTP metrics', () => {
  it("exposes what prom-client's own Counter, Histogram and Gauge expose for the same requests", async () => {
    const ours = new Registry();
    const http = new HttpMetrics(ours);
    const theirs = new Registry();
    const labelNames = ['method', 'route', 'status_code'];
    const total = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered',
      labelNames,
      registers: [theirs],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames,
      buckets: [...DURATION_BUCKETS],
      registers: [theirs],
    });
    const inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served',
      registers: [theirs],
    });
    const random = seededRandom(13);
    const routes = ['/health', '/api/v1/models', '/api/v1/models/:id', 'unmatched'];
    // Every bound exactly, beside random durations across (and past) the buckets.
    const durations = [0, ...DURATION_BUCKETS, 12, ...Array.from({ length: 2_000 }, () => random() ** 3 * 15)];
    for (const [i, seconds] of durations.entries()) {
      const labels = {
        method: random() < 0.8 ? 'GET' : 'POST',
        route: routes[i % routes.length],
        status_code: String([200, 200, 201, 404, 500][Math.floor(random() * 5)]),
      };
      http.started();
      inFlight.inc();
      http.answered(labels.method, labels.route, Number(labels.status_code), seconds);
      inFlight.dec();
      total.inc(labels);
      duration.observe(labels, seconds);
    }
    http.started(); // one still being served
    inFlight.inc();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // The same JSON too (what a cluster's registries merge), less prom-client's empty exemplars.
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map((m) => ({
        ...m,
        values: m.values.map(({ value, labels, ...rest }) => ({
          value,
          labels,
          ...('metricName' in rest ? { metricName: rest.metricName } : {}),
        })),
      }));
    expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
    expect(await ours.metrics()).toMatch(/^http_requests_in_flight 1$/m);
  });
});

describe('the route-recording router', () => {
  it('names the route template of each request, the same on every repeat of a path it has seen', async () => {
    const router = new RouteRecordingRouter();
    const app = new Hono({ router })
      .use('/models/*', async (c, next) => {
        await next();
        c.header('x-seen-by', 'middleware');
      })
      .get('/models/register', (c) => c.text('register form'))
      .post('/models/register', (c) => c.text('registered'))
      .get('/models/:id', (c) => c.text(`model ${c.req.param('id')}`));
    const answer = async (method: string, path: string) => {
      const res = await app.request(path, { method });
      return [method, path, router.lastRoute, res.status, await res.text(), res.headers.get('x-seen-by')];
    };
    const expected = [
      ['GET', '/models/register', '/models/register', 200, 'register form', 'middleware'],
      ['POST', '/models/register', '/models/register', 200, 'registered', 'middleware'],
      ['GET', '/models/abc', '/models/:id', 200, 'model abc', 'middleware'],
      ['GET', '/models/def', '/models/:id', 200, 'model def', 'middleware'],
      ['DELETE', '/models/register', UNMATCHED_ROUTE, 404, '404 Not Found', 'middleware'],
      ['GET', '/nowhere', UNMATCHED_ROUTE, 404, '404 Not Found', null],
    ];
    for (let round = 0; round < 3; round++)
      for (const [method, path] of expected)
        expect(await answer(method as string, path as string)).toEqual(
          expected.find((e) => e[0] === method && e[1] === path),
        );
  });
});

describe('start pace: how long Temporal has lately taken to answer a start', () => {
  it('is the median of the answers heard within the window, and unknown once they are older', () => {
    let now = 0;
    const pace = createStartPace({ windowMs: 5_000, keep: 4, now: () => now });
    expect(pace.typicalMs()).toBeNull();
    for (const ms of [900, 40, 800, 700]) pace.record(ms);
    expect(pace.typicalMs()).toBe(800);
    pace.record(30); // the oldest (900) is dropped past `keep`
    expect(pace.typicalMs()).toBe(700);
    now = 4_000;
    pace.record(20);
    pace.record(25);
    expect(pace.typicalMs()).toBe(30); // 30, 700, 20, 25 heard
    now = 8_500; // only the last two are within the window
    expect(pace.typicalMs()).toBe(25);
    now = 9_001;
    expect(pace.typicalMs()).toBeNull();
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('%s is %i seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));
  it.each(['', '1', '1w', '-1h', '0s', '1.5h'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('workflowUrl', () => {
  it('links a run in the Web UI, escaping what needs it', () => {
    expect(workflowUrl('http://localhost:8233', 'default', 'validation-a/b', 'r1')).toBe(
      'http://localhost:8233/namespaces/default/workflows/validation-a%2Fb/r1/history',
    );
  });
});

describe('defence in depth: paths from rows are never trusted', () => {
  it('does not read or load a model path outside MODEL_STORAGE_PATH, whatever the row says', async () => {
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-storage-'));
    for (const modelPath of ['/etc/passwd', '../outside/model.onnx', 'a/../../model.onnx']) {
      expect(await checkArtifact(new ArtifactCache(createLocalStore(storage), storage), modelPath)).toMatchObject({
        exists: false,
        error: `${modelPath} is not a path inside MODEL_STORAGE_PATH`,
      });
    }
  });

  it('takes a probe set only from a dataset name, never a path', async () => {
    const sets = new ProbeSets({
      artifacts: new ArtifactCache(createLocalStore('/nonexistent'), '/nonexistent-cache'),
      datasetsDir: '/nonexistent',
    });
    const row = {
      modelId: 'm',
      modelName: 'm',
      version: '1',
      modelPath: 'm/model.onnx',
      artifactSha256: null,
      manifestPath: null,
      costPer1kTokens: null,
    };
    for (const dataset of ['..', '../etc', '/etc', 'a/b']) {
      await expect(sets.examples({ ...row, dataset }, 1)).rejects.toThrow(
        `the model's dataset "${dataset}" is not a dataset name`,
      );
    }
  });
});

describe('route tables: 405s and the paths that need a check before routing', () => {
  const routes = [
    { method: 'ALL', path: '/api/v1/*' },
    { method: 'GET', path: '/health' },
    { method: 'POST', path: '/api/v1/models/register' },
    { method: 'GET', path: '/api/v1/models' },
    { method: 'GET', path: '/api/v1/models/:id' },
    { method: 'PUT', path: '/api/v1/models/:id/artifact' },
    { method: 'GET', path: '/assets/*' },
    { method: 'GET', path: '/assets/app.js' },
  ];

  it('lists the methods of the most specific match, HEAD with GET', () => {
    const allowed = allowedMethods(routes);
    expect(allowed('/api/v1/models/register')).toEqual(['POST']);
    expect(allowed('/api/v1/models/42')).toEqual(['GET', 'HEAD']);
    expect(allowed('/health')).toEqual(['GET', 'HEAD']);
    expect(allowed('/nowhere')).toEqual([]);
  });

  it('checks before routing only the concrete paths a template would also take', () => {
    expect(shadowedPaths(routes)).toEqual(['/api/v1/models/register', '/assets/app.js']);
    expect(concreteMethods(routes).get('/api/v1/models/register')).toEqual(new Set(['POST']));
  });
});
