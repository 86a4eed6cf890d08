import { randomUUID } from 'node:crypto';
import { createLogger } from '../config/logger';
import { SharedLimit } from '../api/rate-limits';
import type { RateLimitStore } from '../db/stores/rate-limits';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { bearer, tokenFor } from './helpers/tokens';

/**
 * Per-subject limits held across API replicas: two apps on one database stand for two replicas
 * behind a load balancer, each request going to either.
 */
describe('rate limits across replicas', () => {
  let a: TestApp;
  let b: TestApp;
  const logger = createLogger('test', 'silent');

  beforeAll(async () => {
    const limits = { NW_RATE_LIMIT_STARTS_PER_MINUTE: '3', NW_RATE_LIMIT_INFERENCE_PER_MINUTE: '40' };
    [a, b] = await Promise.all([createTestApp(limits), createTestApp(limits)]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  const start = (t: TestApp, who: Record<string, string>) =>
    t.app.request(`/api/v1/models/${randomUUID()}/validate`, { method: 'POST', headers: who });
  const infer = (t: TestApp, who: Record<string, string>) =>
    t.app.request('/api/v1/inference/no-such-specialization', json({ input: 'hello' }, who));

  it('counts a subject’s workflow starts on every replica against one limit, exactly', async () => {
    const alice = bearer(tokenFor('write', uniqueName('alice')));
    const statuses = [
      (await start(a, alice)).status,
      (await start(b, alice)).status,
      (await start(a, alice)).status,
      (await start(b, alice)).status,
      (await start(a, alice)).status,
    ];
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    const refused = await start(b, alice);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-limit')).toBe('3');
    // Another subject has its own count.
    expect((await start(b, bearer(tokenFor('write', uniqueName('bob'))))).status).toBe(404);
  });

  it('never lets a subject past a larger limit, with requests spread over replicas at once', async () => {
    const busy = bearer(tokenFor('read', uniqueName('busy')));
    const statuses = await Promise.all(Array.from({ length: 80 }, (_, i) => infer(i % 2 ? a : b, busy)));
    const served = statuses.filter((r) => r.status === 404).length;
    // Leased in slices of 4: at most one unused slice per replica is lost to the subject.
    expect(served).toBeLessThanOrEqual(40);
    expect(served).toBeGreaterThanOrEqual(40 - 2 * 4);
    expect(statuses.filter((r) => r.status === 429).length).toBe(80 - served);
  });

  it('shares one claim among concurrent requests of a replica, and starts over each minute', async () => {
    const limit = new SharedLimit(10, a.stores.rateLimits, logger);
    const key = uniqueName('key');
    const now = Date.UTC(2026, 11, 6, 12, 0, 30);
    const first = await Promise.all(Array.from({ length: 25 }, () => limit.take(key, now)));
    expect(first.filter((r) => r.allowed)).toHaveLength(10);
    expect(first.find((r) => !r.allowed)).toMatchObject({ remaining: 0, resetSeconds: 30 });
    const nextMinute = await limit.take(key, now + 60_000);
    expect(nextMinute).toMatchObject({ allowed: true, remaining: 9 });
  });

  it('keeps serving when the shared count cannot be reached, holding the limit on the replica alone', async () => {
    const unreachable: RateLimitStore = {
      claim: () => Promise.reject(new Error('connection refused')),
    };
    const limit = new SharedLimit(3, unreachable, logger);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await limit.take('k')).allowed);
    expect(answers).toEqual([true, true, true, false]);
  });
});
