import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import net from 'node:net';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../api/app';
import { listeningPort, SECURITY_HEADERS, serveApi } from '../api/server';
import { createTemporalClient } from '../api/temporal-client';
import { parseConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { TEST_JWT_SECRET } from './helpers/env';
import { rawToken } from './helpers/tokens';
import { createTestApp, json, type TestApp } from './helpers/app';
import { bearer, tokenFor } from './helpers/tokens';

describe('security: limits, CORS, headers, closed admin surface', () => {
  let t: TestApp;
  const alice = bearer(tokenFor('write', 'alice'));
  const bob = bearer(tokenFor('write', 'bob'));
  const admin = bearer(tokenFor('admin', 'operator'));

  beforeAll(async () => {
    t = await createTestApp({
      NW_RATE_LIMIT_STARTS_PER_MINUTE: '3',
      NW_RATE_LIMIT_INFERENCE_PER_MINUTE: '5',
      NW_RATE_LIMIT_INCIDENTS_PER_MINUTE: '2',
    });
  });
  afterAll(() => t.close());

  /**
   * The limits count per clock minute: a burst that straddles one starts counting again halfway
   * (a slow host once took the seconds to cross it). Bursts start with 20 s of the minute left.
   */
  const withinOneMinute = async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 20_000) await sleep(left + 50);
  };

  it('limits workflow starts per subject: 429 with Retry-After, other subjects unaffected', async () => {
    await withinOneMinute();
    const start = (who: Record<string, string>) =>
      t.app.request(`/api/v1/models/${randomUUID()}/validate`, { method: 'POST', headers: who });
    for (let i = 0; i < 3; i++) expect((await start(alice)).status).toBe(404);
    const limited = await start(alice);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-limit')).toBe('3');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await start(bob)).status).toBe(404);
    // Reads are never counted.
    expect((await t.app.request('/api/v1/models', { headers: alice })).status).toBe(200);
  });

  it('limits inference per subject', async () => {
    await withinOneMinute();
    const reader = bearer(tokenFor('read', 'busy-client'));
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await t.app.request('/api/v1/inference/no-such-specialization', json({ input: 'hello' }, reader))).status,
      );
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
  });

  it('limits incident reports per subject (each is evidence against a serving model)', async () => {
    await withinOneMinute();
    const report = () =>
      t.app.request(
        '/api/v1/watchdogs/no-such-specialization/incidents',
        json({ requests: 10, errors: 10, reason: 'burst' }, admin),
      );
    expect([(await report()).status, (await report()).status, (await report()).status]).toEqual([404, 404, 429]);
  });

  it('documents the 429 of every rate-limited operation in the OpenAPI document', async () => {
    const doc = (await (await t.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const limited = [
      '/api/v1/models/{id}/deploy',
      '/api/v1/models/{id}/validate',
      '/api/v1/training/jobs',
      '/api/v1/deployments/{id}/rollback',
      '/api/v1/watchdogs',
      '/api/v1/inference/{specialization}',
      '/api/v1/watchdogs/{specialization}/incidents',
    ];
    expect(limited.filter((path) => !doc.paths[path]?.post?.responses['429'])).toEqual([]);
  });

  it('answers 405 with Allow for a path that exists with other methods, 404 for one that does not', async () => {
    const wrong = await t.app.request('/api/v1/models', { method: 'DELETE', headers: admin });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    expect(
      (await t.app.request(`/api/v1/deployments/${randomUUID()}/approve`, { headers: admin })).headers.get('allow'),
    ).toBe('POST');
    expect((await t.app.request('/health', { method: 'POST' })).status).toBe(405);
    // A concrete path is not taken by a templated one: GET /models/register is not GET /models/{id}.
    const register = await t.app.request('/api/v1/models/register', { headers: admin });
    expect([register.status, register.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await t.app.request('/api/v1/nothing-here', { headers: admin })).status).toBe(404);
  });

  it('answers no CORS: a browser on another origin gets no Access-Control-Allow-Origin', async () => {
    const preflight = await t.app.request('/api/v1/models', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await t.app.request('/api/v1/models', { headers: { ...alice, origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends security headers on every response of the served API, its own and the adapter’s', async () => {
    const server = serveApi(t.app.fetch, { port: 0, hostname: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${await listeningPort(server)}`;
      const answers = [
        await fetch(`${base}/health`),
        await fetch(`${base}/api/v1/models`), // 401
        await fetch(`${base}/no-such-page`, { method: 'POST' }), // 404
        await fetch(`${base}/docs`), // the page's own Content-Security-Policy beside them
      ];
      for (const res of answers) {
        for (const [name, value] of SECURITY_HEADERS)
          expect([res.status, name, res.headers.get(name)]).toEqual([res.status, name, value]);
      }
      expect(answers.map((r) => r.status)).toEqual([200, 401, 404, 200]);
      expect(answers[3].headers.get('content-security-policy')).toContain("default-src 'self'");
      // A request the adapter refuses before the app sees it (a backslash in the path).
      const refused = await rawRequest(server, 'GET /a\\b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(refused).toMatch(/^HTTP\/1.1 400/);
      expect(refused).toMatch(/x-content-type-options: nosniff/i);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('keeps the admin surface closed: faults off unless enabled, probes and thresholds admin-only', async () => {
    const writer = bearer(tokenFor('write', 'carol'));
    expect(
      (await t.app.request('/api/v1/admin/faults', json({ modelId: randomUUID(), errorRate: 1, ttl: 10 }, admin)))
        .status,
    ).toBe(404);
    expect((await t.app.request('/api/v1/admin/probes', json({ deploymentId: randomUUID() }, writer))).status).toBe(
      403,
    );
    expect((await t.app.request('/api/v1/watchdogs', json({ specialization: 'x' }, writer))).status).toBe(403);
    expect(
      (
        await t.app.request('/api/v1/performance/thresholds', {
          method: 'PUT',
          headers: { ...writer, 'content-type': 'application/json' },
          body: '{"thresholds":{}}',
        })
      ).status,
    ).toBe(403);
  });

  it('never puts a secret in an answer or a configuration error', async () => {
    const secretish = 'short-but-secret-value';
    expect(() => parseConfig({ JWT_SECRET: secretish })).toThrow(/JWT_SECRET: must be at least 32 characters/);
    try {
      parseConfig({ JWT_SECRET: secretish });
    } catch (err) {
      expect((err as Error).message).not.toContain(secretish);
    }
    for (const path of ['/health/detailed', '/openapi.json', '/api/v1/nope']) {
      const body = await (await t.app.request(path, { headers: alice })).text();
      expect(body).not.toContain(t.config.jwtSecret!);
    }
  });

  it('never writes a token or the secret to its logs, even at debug level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    const { connection, client } = createTemporalClient(t.config);
    const logged = createApp({
      config: t.config,
      jwtSecret: TEST_JWT_SECRET,
      sequelize: t.sequelize,
      stores: t.stores,
      temporal: client,
      logger: createLogger('api', 'debug', sink),
    });
    const good = tokenFor('admin', 'log-reader');
    const expired = rawToken({
      sub: 'x',
      exp: Math.floor(Date.now() / 1000) - 60,
      systems: [{ system: 'neuroweaver', level: 'admin', resources: ['*'] }],
    });
    try {
      for (const token of [good, expired, 'not.a.jwt']) {
        await logged.app.request('/api/v1/models', { headers: { authorization: `Bearer ${token}` } });
        await logged.app.request(`/api/v1/training/jobs/${randomUUID()}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await logged.app.request(
          '/api/v1/inference/nothing-here',
          json({ input: 'x' }, { authorization: `Bearer ${token}` }),
        );
      }
      await logged.app.request('/api/v1/auth/revoke', { method: 'POST', headers: { authorization: `Bearer ${good}` } });
      await logged.app.request('/api/v1/models', { headers: { authorization: `Bearer ${good}` } });
    } finally {
      await logged.close();
      await connection.close();
    }
    const text = lines.join('');
    if (process.env.DEBUG_LOGS) console.log(text);
    expect(lines.length).toBeGreaterThan(0); // the API did log (auth failures, lookups): the check below means something
    for (const secret of [good, expired, good.split('.')[2], TEST_JWT_SECRET]) expect(text).not.toContain(secret);
  });
});

/** What a server answers to bytes no HTTP client would send. */
async function rawRequest(server: http.Server, request: string): Promise<string> {
  const socket = net.connect(await listeningPort(server), '127.0.0.1');
  socket.end(request);
  let answer = '';
  for await (const chunk of socket) answer += String(chunk);
  return answer;
}
