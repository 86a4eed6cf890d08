import { randomUUID } from 'node:crypto';
import { sample } from 'openapi-sampler';
import type { JSONSchema7 } from 'json-schema';
import { signToken, type AccessLevel } from '../auth/token';
import { POLICY_EXTENSION, type RoutePolicy } from '../api/auth/route-policy';
import { objectsOf } from './helpers/foreign-objects';
import { createIsolatedDatabase, createTestApp, type TestApp } from './helpers/app';
import { TEST_JWT_SECRET, uniqueName } from './helpers/env';
import { party, rawToken } from './helpers/tokens';

/**
 * Issue #15: the permission matrix, generated from /openapi.json. Every operation declares its
 * policy (`x-neuroweaver-policy`, from `policy()` beside its route) and is called by every kind of
 * caller; each answer must be the one the policy implies and one the document lists. A route
 * without a declared policy, or one the document does not list, fails here.
 */

interface Operation {
  method: string;
  path: string;
  policy?: RoutePolicy;
  responses: Record<string, unknown>;
  requestBody?: { content: Partial<Record<'application/json' | 'application/octet-stream', { schema: JSONSchema7 }>> };
}

type Caller = 'no token' | 'wrong issuer' | 'expired' | AccessLevel | 'role' | 'other specialization';

const LEVELS: AccessLevel[] = ['read', 'write', 'admin'];
const atLeast = (have: AccessLevel, need: AccessLevel) => LEVELS.indexOf(have) >= LEVELS.indexOf(need);

describe('the permission matrix, generated from /openapi.json', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let document: { paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>; components: object };
  const ours = uniqueName('matrix-ours');
  const theirs = uniqueName('matrix-theirs');
  const nobody = uniqueName('matrix-nobody');
  const fixtures: Record<string, string> = {};

  beforeAll(async () => {
    // Its own database: admins here rewrite the thresholds and raise alerts.
    database = await createIsolatedDatabase();
    t = await createTestApp({ DATABASE_URL: database.url, NW_ENABLE_FAULTS: '1' });
    document = (await (await t.app.request('/openapi.json')).json()) as typeof document;
    // Objects of another specialization, for the caller whose token names only `ours`.
    const objects = await objectsOf(t, theirs);
    Object.assign(fixtures, {
      models: objects.modelId,
      deployments: objects.deploymentId,
      training: objects.jobId,
      alerts: objects.alertId,
    });
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  const operations = (): Operation[] =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method,
        path,
        ...op,
        policy: (op as Record<string, unknown>)[POLICY_EXTENSION] as RoutePolicy | undefined,
      })),
    );

  /** A fresh token per call: a revoke through the matrix revokes only itself, and no call meets another's rate limit. */
  const token = (caller: Caller, policy: RoutePolicy, sub: string): string | undefined => {
    const roles = policy.role ? [{ name: policy.role, system: 'neuroweaver', permissions: [] }] : [];
    switch (caller) {
      case 'no token':
        return undefined;
      case 'wrong issuer':
        return signToken(TEST_JWT_SECRET, { sub, level: 'admin', ttlSeconds: 600, issuer: 'someone-else' });
      case 'expired': {
        const now = Math.floor(Date.now() / 1000);
        return rawToken({
          ...party,
          sub,
          iat: now - 7200,
          exp: now - 3600,
          systems: [{ system: 'neuroweaver', level: 'admin', resources: ['*'] }],
          roles: [],
          permissions: [],
        });
      }
      case 'role':
        return signToken(TEST_JWT_SECRET, { sub, level: 'read', ttlSeconds: 600, roles });
      case 'other specialization':
        return signToken(TEST_JWT_SECRET, { sub, level: policy.access, ttlSeconds: 600, resources: [ours], roles });
      default:
        return signToken(TEST_JWT_SECRET, { sub, level: caller, ttlSeconds: 600 });
    }
  };

  /** The object a path's `{id}` names: another specialization's, for the scoped caller; nobody's otherwise. */
  const fixtureFor = (path: string) =>
    fixtures[Object.keys(fixtures).find((k) => path.startsWith(`/api/v1/${k}`))!] ?? fixtures.models;

  /**
   * The request: aimed at another specialization's objects (with a body that validates, so the
   * scope check is what answers) for the scoped caller; at nothing anybody owns otherwise.
   */
  function request(op: Operation, caller: Caller): { url: string; init: RequestInit } {
    const aimed = caller === 'other specialization';
    const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      name === 'specialization' ? (aimed ? theirs : nobody) : aimed ? fixtureFor(op.path) : randomUUID(),
    );
    const sub = uniqueName('matrix');
    const schema = op.requestBody?.content['application/json']?.schema;
    // A file upload (application/octet-stream): a few bytes, as a client would stream them.
    const bytes = op.requestBody?.content['application/octet-stream'] ? 'onnx bytes' : undefined;
    let body: unknown;
    if (schema) {
      const generated = sample(schema, { skipReadOnly: true, quiet: true }, document) as Record<string, unknown>;
      if (generated && typeof generated === 'object') {
        if ('specialization' in generated) generated.specialization = aimed ? theirs : nobody;
        if ('modelId' in generated) generated.modelId = aimed ? fixtures.models : randomUUID();
        if ('sub' in generated) generated.sub = sub; // its own tokens: revoking another subject's is an admin's
        // The calling token itself: revoking every token of a subject needs write, another token admin
        // (rules of the body, covered in test/auth.test.ts).
        if ('every' in generated) delete generated.every;
        if ('iat' in generated) delete generated.iat;
      }
      body = generated;
    }
    const bearer = token(caller, op.policy!, sub);
    return {
      url,
      init: {
        method: op.method.toUpperCase(),
        headers: {
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(bytes === undefined ? {} : { 'content-type': 'application/octet-stream' }),
        },
        body: bytes ?? (body === undefined ? undefined : JSON.stringify(body)),
      },
    };
  }

  /** What the policy says the caller gets: a status, or `passes` (past authorization: anything documented but 401/403). */
  function expected(policy: RoutePolicy, caller: Caller): 401 | 403 | 404 | 200 | 'passes' {
    if (caller === 'no token' || caller === 'wrong issuer' || caller === 'expired') return 401;
    if (caller === 'role') return 'passes';
    if (caller === 'other specialization')
      return ({ named: 403, object: 404, every: 403, list: 200, none: 'passes' } as const)[policy.scope];
    return atLeast(caller, policy.access) ? 'passes' : 403;
  }

  it('lists every /api/v1 route the app serves, each with a declared policy', () => {
    const served = t.app.routes
      .filter((r) => r.path.startsWith('/api/v1/') && r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = operations().map((op) => `${op.method} ${op.path}`);
    expect([...new Set(served)].sort()).toEqual([...new Set(documented)].sort());
    expect(
      operations()
        .filter((op) => !op.policy)
        .map((op) => `${op.method} ${op.path}`),
    ).toEqual([]);
  });

  it('answers every operation × caller as its policy says, with a documented status', async () => {
    const wrong: string[] = [];
    for (const op of operations()) {
      if (!op.policy) continue;
      const callers: Caller[] = [
        'no token',
        'wrong issuer',
        'expired',
        'read',
        'write',
        'admin',
        'other specialization',
        ...(op.policy.role ? (['role'] as const) : []),
      ];
      for (const caller of callers) {
        const { url, init } = request(op, caller);
        const res = await t.app.request(url, init);
        const want = expected(op.policy, caller);
        const documented = String(res.status) in op.responses;
        // Past authorization anything documented may come (a 503 for a specialization nothing serves), never a 500.
        const ok =
          want === 'passes' ? res.status !== 401 && res.status !== 403 && res.status !== 500 : res.status === want;
        if (!ok || !documented)
          wrong.push(
            `${op.method.toUpperCase()} ${op.path} as ${caller}: ${res.status}${documented ? '' : ' (not documented)'}, expected ${want} — ${(await res.text()).slice(0, 200)}`,
          );
      }
    }
    expect(wrong).toEqual([]);
  });
});
