import { createTestApp, type TestApp } from './helpers/app';
import { bearer, tokenFor } from './helpers/tokens';

const METRICS_TOKEN = 'scrape-token-0123456789';

describe('health and metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens on port 9 (discard): RelayCore is configured but down.
    t = await createTestApp({ METRICS_TOKEN, RELAYCORE_URL: 'http://127.0.0.1:9' });
  });
  afterAll(() => t.close());

  it('/health answers without auth', async () => {
    const res = await t.app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/health/detailed checks its dependencies once a second at most, however many ask (it needs no token)', async () => {
    const read = async () =>
      (await (await t.app.request('/health/detailed')).json()) as {
        timestamp: string;
        dependencies: { database: { responseTime: number } };
      };
    const burst = await Promise.all(Array.from({ length: 20 }, read));
    expect(new Set(burst.map((b) => `${b.timestamp} ${b.dependencies.database.responseTime}`)).size).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await read()).timestamp).not.toBe(burst[0].timestamp);
  });

  it('/health/detailed reports every dependency, seed 003 shape', async () => {
    await t.app.request('/api/v1/models', { headers: bearer(tokenFor('read')) });
    const res = await t.app.request('/health/detailed');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      uptime: number;
      dependencies: Record<string, { responseTime: number }>;
      metrics: { requestsPerMinute: number };
    };
    expect(body).toMatchObject({
      status: 'degraded',
      version: '0.1.0',
      dependencies: {
        database: { status: 'healthy' },
        temporal: { status: 'healthy' },
        relaycore: { status: 'unhealthy' },
        modelStorage: { status: 'healthy' },
      },
    });
    expect(typeof body.uptime).toBe('number');
    expect(body.dependencies.database.responseTime).toEqual(expect.any(Number));
    expect(body.metrics).toEqual({
      requestsPerMinute: expect.any(Number),
      errorRate: expect.any(Number),
      avgResponseTime: expect.any(Number),
    });
    expect(body.metrics.requestsPerMinute).toBeGreaterThan(0);
  });

  it('/metrics needs the scrape token and labels routes by template', async () => {
    expect((await t.app.request('/metrics')).status).toBe(401);
    expect((await t.app.request('/metrics', { headers: bearer('wrong-token-0123456789') })).status).toBe(401);
    await t.app.request('/api/v1/models/00000000-0000-4000-8000-000000000000', { headers: bearer(tokenFor('read')) });
    const res = await t.app.request('/metrics', { headers: bearer(METRICS_TOKEN) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/models/:id",status_code="404"} 1');
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/models\/:id"/,
    );
    expect(text).toContain('http_requests_in_flight');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  it('labels each of many concurrent requests by its own route, answered at once or later', async () => {
    const read = bearer(tokenFor('read'));
    const counts = async () => {
      const text = await (await t.app.request('/metrics', { headers: bearer(METRICS_TOKEN) })).text();
      const count = (labels: string) =>
        Number(new RegExp(`^http_requests_total\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      return {
        health: count('method="GET",route="/health",status_code="200"'),
        list: count('method="GET",route="/api/v1/models",status_code="200"'),
        missing: count('method="GET",route="/api/v1/models/:id",status_code="404"'),
        unmatched: count('method="GET",route="unmatched",status_code="404"'),
        notAllowed: count('method="DELETE",route="unmatched",status_code="405"'),
        inFlight: Number(/^http_requests_in_flight (\d+)$/m.exec(text)?.[1]),
      };
    };
    const before = await counts();
    // /health is answered in the same tick; the others after the database or auth answer.
    const asks = Array.from({ length: 20 }, (_, i) => [
      t.app.request('/health'),
      t.app.request('/api/v1/models', { headers: read }),
      t.app.request(`/api/v1/models/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, { headers: read }),
      t.app.request(`/no-such-page-${i}`),
      t.app.request('/health', { method: 'DELETE' }),
    ]).flat();
    await Promise.all(asks);
    const after = await counts();
    expect({
      health: after.health - before.health,
      list: after.list - before.list,
      missing: after.missing - before.missing,
      unmatched: after.unmatched - before.unmatched,
      notAllowed: after.notAllowed - before.notAllowed,
      inFlight: after.inFlight,
    }).toEqual({ health: 20, list: 20, missing: 20, unmatched: 20, notAllowed: 20, inFlight: 1 });
  });

  it('counts authentication failures', async () => {
    await t.app.request('/api/v1/models');
    const text = await (await t.app.request('/metrics', { headers: bearer(METRICS_TOKEN) })).text();
    expect(text).toMatch(/neuroweaver_auth_failures_total\{status_code="401"\} [1-9]/);
  });
});
