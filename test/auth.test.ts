import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { PROBER_ROLE, signToken, SYSTEM } from '../auth/token';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatabase } from '../db/connection';
import { RevocationList, RevocationListStale } from '../db/revocations';
import { createTestApp, json, type TestApp } from './helpers/app';
import { TEST_JWT_SECRET } from './helpers/env';
import { bearer, neuroweaverAccess, party, rawToken, tokenFor } from './helpers/tokens';

const now = () => Math.floor(Date.now() / 1000);
const models = '/api/v1/models';

describe('authentication and authorization (unified JWT)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const status = async (token: string | undefined, path = models, init: RequestInit = {}) => {
    const headers = { ...(init.headers as Record<string, string>), ...(token ? bearer(token) : {}) };
    const res = await t.app.request(path, { ...init, headers });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };

  it('accepts a valid read token on a GET', async () => {
    expect((await status(tokenFor('read'))).status).toBe(200);
  });

  it('rejects a missing or malformed Authorization header with 401', async () => {
    const res = await t.app.request(models);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await status(undefined, models, { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });

  it.each([
    [
      'alg none',
      () => rawToken({ sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin') }, { algorithm: 'none' }, ''),
    ],
    [
      'RS256 (HS/RS confusion)',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return rawToken(
          { sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin') },
          { algorithm: 'RS256' },
          privateKey.export({ type: 'pkcs8', format: 'pem' }),
        );
      },
    ],
    ['HS384', () => rawToken({ sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin') }, { algorithm: 'HS384' })],
    [
      'a wrong secret',
      () =>
        rawToken(
          { sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin') },
          { algorithm: 'HS256' },
          'another-secret-another-secret-another',
        ),
    ],
    ['an expired token', () => rawToken({ sub: 'x', exp: now() - 60, ...neuroweaverAccess('admin') })],
    ['no exp', () => rawToken({ sub: 'x', ...neuroweaverAccess('admin') })],
    [
      'nbf in the future',
      () => rawToken({ sub: 'x', exp: now() + 600, nbf: now() + 300, ...neuroweaverAccess('admin') }),
    ],
    ['no sub', () => rawToken({ exp: now() + 60, ...neuroweaverAccess('admin') })],
    ['garbage', () => 'not.a.jwt'],
    // The lifetime cap (NW_JWT_MAX_LIFETIME_DAYS, 400 by default): a leaked token must not be good for a century.
    [
      'a token good for a century',
      () => rawToken({ sub: 'x', exp: now() + 100 * 365 * 86_400, ...neuroweaverAccess('admin') }),
    ],
    [
      'a token issued in the future',
      () => rawToken({ sub: 'x', iat: now() + 3_600, exp: now() + 7_200, ...neuroweaverAccess('admin') }),
    ],
    // iss and aud (JWT_ISSUER, JWT_AUDIENCE): required, and ours.
    ['no iss', () => rawToken({ sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin'), iss: undefined })],
    [
      'another issuer',
      () => rawToken({ sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin'), iss: 'someone-else' }),
    ],
    ['no aud', () => rawToken({ sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin'), aud: undefined })],
    [
      'a token for another audience',
      () => rawToken({ sub: 'x', exp: now() + 60, ...neuroweaverAccess('admin'), aud: 'relaycore' }),
    ],
  ])('rejects %s with 401', async (_case, make) => {
    const res = await status(make());
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('unauthorized');
  });

  it.each([
    ['no systems claim', { roles: [] }],
    ['another system only', { systems: [{ system: 'relaycore', level: 'admin', resources: [] }] }],
    ['an unknown level', { systems: [{ system: 'neuroweaver', level: 'owner', resources: [] }] }],
  ])('rejects %s with 403', async (_case, claims) => {
    const res = await status(rawToken({ sub: 'x', exp: now() + 60, ...party, ...claims }));
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('forbidden');
  });

  it("scopes the worker's probe tokens: read plus the prober role probes and reads, and nothing else", async () => {
    const prober = signToken(TEST_JWT_SECRET, {
      sub: 'system:watchdog',
      level: 'read',
      ttlSeconds: 600,
      roles: [{ name: PROBER_ROLE, system: SYSTEM, permissions: ['probe'] }],
    });
    const probe = json({ deploymentId: randomUUID(), examples: 1 });
    expect((await status(prober, '/api/v1/admin/probes', probe)).status).toBe(404); // allowed through; no such deployment
    expect((await status(tokenFor('read'), '/api/v1/admin/probes', probe)).status).toBe(403);
    expect((await status(tokenFor('write'), '/api/v1/admin/probes', probe)).status).toBe(403);
    expect((await status(prober, models)).status).toBe(200);
    expect(
      (
        await status(
          prober,
          `${models}/register`,
          json({ name: 'p', specialization: 'parts-specialist', baseModel: 'b', version: '1' }),
        )
      ).status,
    ).toBe(403);
    expect((await status(prober, '/api/v1/watchdogs', json({ specialization: 'parts-specialist' }))).status).toBe(403);
    // A role of another system grants nothing here.
    const foreign = signToken(TEST_JWT_SECRET, {
      sub: 'x',
      level: 'read',
      ttlSeconds: 600,
      roles: [{ name: PROBER_ROLE, system: 'relaycore', permissions: ['probe'] }],
    });
    expect((await status(foreign, '/api/v1/admin/probes', probe)).status).toBe(403);
  });

  it('needs write for mutations and admin for admin actions', async () => {
    const register = json({ name: 'auth-probe', specialization: 'parts-specialist', baseModel: 'b', version: '1' });
    expect((await status(tokenFor('read'), `${models}/register`, register)).status).toBe(403);
    const other = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'someone-else', iat: 1 }),
    };
    expect((await status(tokenFor('write'), '/api/v1/auth/revoke', other)).status).toBe(403);
    expect((await status(tokenFor('admin'), '/api/v1/auth/revoke', other)).status).toBe(200);
  });

  it("revokes every token of a subject issued up to now, and none issued later (admin for another subject's)", async () => {
    const sub = `leaked-${now()}`;
    const older = rawToken({ sub, iat: now() - 3_600, exp: now() + 600, ...neuroweaverAccess('write') });
    const current = rawToken({ sub, iat: now(), exp: now() + 600, ...neuroweaverAccess('read') });
    const every = (token: string, body: object) => status(token, '/api/v1/auth/revoke', json(body));
    expect((await every(tokenFor('write', 'bystander'), { sub, every: true })).status).toBe(403);
    const revoked = await every(tokenFor('admin', 'security'), { sub, every: true, reason: 'laptop stolen' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ sub, every: true, iat: expect.any(Number) });
    expect((await status(older)).status).toBe(401);
    expect((await status(current)).status).toBe(401);
    // A token issued after the cut-off (a fresh login) works.
    expect(
      (await status(rawToken({ sub, iat: now() + 2, exp: now() + 600, ...neuroweaverAccess('read') }))).status,
    ).toBe(200);
    // Another API process learns of it from the database (a cut-off, not one token).
    const sequelize = createDatabase({ url: process.env.NW_TEST_DATABASE_URL! });
    const elsewhere = new RevocationList(sequelize);
    try {
      await elsewhere.start();
      expect(await elsewhere.isRevoked(sub, now() - 7_200)).toBe(true);
      expect(await elsewhere.isRevoked(sub, now() + 2)).toBe(false);
    } finally {
      await elsewhere.stop();
      await sequelize.close();
    }
    // A subject may sign itself out everywhere, but not with a read token (a leaked one would lock
    // its owner's stronger tokens out); a read token revokes itself.
    const readSelf = tokenFor('read', `read-self-${now()}`);
    expect((await every(readSelf, { every: true })).status).toBe(403);
    expect((await every(readSelf, {})).status).toBe(200);
    const self = tokenFor('write', `self-${now()}`);
    expect((await every(self, { every: true })).status).toBe(200);
    expect((await status(self)).status).toBe(401);
  });

  it('rejects a revoked token (by sub and iat) and only that one', async () => {
    const token = tokenFor('write', 'revoke-me');
    expect((await status(token)).status).toBe(200);
    const revoked = await status(token, '/api/v1/auth/revoke', { method: 'POST' });
    expect(revoked.status).toBe(200);
    const after = await status(token);
    expect(after.status).toBe(401);
    expect(after.body.error?.message).toBe('token has been revoked');
    const later = rawToken({ sub: 'revoke-me', iat: now() + 1, exp: now() + 600, ...neuroweaverAccess('read') });
    expect((await status(later)).status).toBe(200);
  });

  it('a revocation reaches another API process within a second, with no query per request', async () => {
    const other = await createTestApp();
    try {
      const token = tokenFor('write', 'revoke-elsewhere');
      expect((await other.app.request(models, { headers: bearer(token) })).status).toBe(200);
      expect((await status(token, '/api/v1/auth/revoke', { method: 'POST' })).status).toBe(200);
      const revokedAt = Date.now();
      let seen = 200;
      while (seen === 200 && Date.now() - revokedAt < 3_000) {
        seen = (await other.app.request(models, { headers: bearer(token) })).status;
        if (seen === 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
    } finally {
      await other.close();
    }
  });

  it('never echoes the token in an error body', async () => {
    const token = rawToken({ sub: 'x', exp: now() - 60, ...neuroweaverAccess('admin') });
    const res = await t.app.request(models, { headers: bearer(token) });
    expect(await res.text()).not.toContain(token);
  });
});

describe('optional verification against AutoMatrix', () => {
  let automatrix: http.Server;
  let calls: string[];
  let answer: number;
  let t: TestApp;

  beforeAll(async () => {
    calls = [];
    // AutoMatrix is outside this repo: a small emulator answering its /verify endpoint.
    automatrix = http.createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res.writeHead(answer).end(JSON.stringify({ valid: answer === 200 }));
    });
    await new Promise<void>((r) => automatrix.listen(0, '127.0.0.1', r));
    const { port } = automatrix.address() as AddressInfo;
    t = await createTestApp({ AUTOMATRIX_AUTH_URL: `http://127.0.0.1:${port}/api/auth` });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((r) => automatrix.close(r));
  });

  it('asks AutoMatrix once per token and caches the verdict', async () => {
    answer = 200;
    const token = tokenFor('read', 'am-ok');
    expect((await t.app.request(models, { headers: bearer(token) })).status).toBe(200);
    expect((await t.app.request(models, { headers: bearer(token) })).status).toBe(200);
    expect(calls).toEqual(['GET /api/auth/verify']);
  });

  it('401 when AutoMatrix rejects the token, 503 when it is down', async () => {
    answer = 401;
    expect((await t.app.request(models, { headers: bearer(tokenFor('read', 'am-rejected')) })).status).toBe(401);
    answer = 502;
    const res = await t.app.request(models, { headers: bearer(tokenFor('read', 'am-down')) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });
});

describe('the in-memory revocation list', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('fails closed when it cannot be refreshed: an old list is never trusted', async () => {
    let clock = Date.now();
    const list = new RevocationList(t.sequelize, { pollMs: 60_000, maxStalenessMs: 5_000, now: () => clock });
    await list.start();
    try {
      expect(await list.isRevoked('nobody', 1)).toBe(false);
      clock += 6_000; // no refresh for 6 s (the poll is a minute away): the list refreshes before it answers
      expect(await list.isRevoked('nobody', 1)).toBe(false);
      // The database goes away: the refresh fails and the list refuses to answer.
      const unreachable = createDatabase({ url: 'postgresql://nobody:wrong@127.0.0.1:1/none' });
      const broken = new RevocationList(unreachable, { pollMs: 60_000, maxStalenessMs: 5_000, now: () => clock });
      await broken.start();
      await expect(broken.isRevoked('nobody', 1)).rejects.toThrow(RevocationListStale);
      await broken.stop();
      await unreachable.close();
    } finally {
      await list.stop();
    }
  });
});
