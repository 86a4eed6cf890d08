import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { bearer, tokenFor } from './helpers/tokens';

type Body = Record<string, unknown> & {
  error?: { code: string; message: string; details?: { fields: { field: string }[] } };
};

describe('model registry API', () => {
  let t: TestApp;
  const writer = bearer(tokenFor('write', 'registry-writer'));
  const reader = bearer(tokenFor('read'));
  const specialization = uniqueName('spec');

  beforeAll(async () => {
    t = await createTestApp({ NW_BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => t.close());

  const register = async (body: unknown) => {
    const res = await t.app.request('/api/v1/models/register', json(body, writer));
    return { status: res.status, body: (await res.json()) as Body };
  };
  const get = async (path: string) => {
    const res = await t.app.request(path, { headers: reader });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const model = (overrides: object = {}) => ({
    name: 'sales-intent',
    specialization,
    baseModel: 'builtin-bow',
    version: '1.0.0',
    modelPath: 'sales-intent/1.0.0/model.onnx',
    config: { features: 'bow' },
    ...overrides,
  });

  it('registers a model (201) and reads it back', async () => {
    const created = await register(model({ description: 'first' }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'sales-intent',
      version: '1.0.0',
      status: 'registered',
      createdBy: 'registry-writer',
      validation: null,
    });
    const fetched = await get(`/api/v1/models/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it('answers 409 for a duplicate (name, version) and accepts a new version', async () => {
    const dup = await register(model());
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'conflict', details: { name: 'sales-intent', version: '1.0.0' } });
    expect((await register(model({ version: '1.1.0' }))).status).toBe(201);
  });

  it('lists with filters and pagination', async () => {
    await register(model({ name: 'other', version: '1', specialization: `${specialization}-b` }));
    const page = await get(`/api/v1/models?specialization=${specialization}&limit=1`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 2, skip: 0, limit: 1 });
    expect(page.body.items).toHaveLength(1);
    const second = await get(`/api/v1/models?specialization=${specialization}&limit=1&skip=1`);
    expect((second.body.items as { id: string }[])[0].id).not.toBe((page.body.items as { id: string }[])[0].id);
    const byStatus = await get(`/api/v1/models?specialization=${specialization}&status=retired`);
    expect(byStatus.body).toMatchObject({ total: 0, items: [] });
    // Past the last page: no items, and still the total.
    const beyond = await get(`/api/v1/models?specialization=${specialization}&limit=1&skip=5`);
    expect(beyond.body).toMatchObject({ total: 2, items: [] });
  });

  it('keeps page totals exact while models are registered, change status and are deleted, concurrently', async () => {
    // The totals come from counts the database keeps (migration 0018): compared here with the rows.
    const spec = uniqueName('counted');
    const other = `${spec}-other`;
    const registered = await Promise.all(
      Array.from({ length: 40 }, (_, i) => register(model({ name: `c${i}`, specialization: i % 4 ? spec : other }))),
    );
    expect(registered.every((r) => r.status === 201)).toBe(true);
    const ids = registered.map((r) => r.body.id as string);
    const sql = t.sequelize;
    // Status changes in overlapping statements and both directions at once, then deletions.
    await Promise.all([
      sql.query(`UPDATE models SET status = 'validated' WHERE id = ANY($1)`, { bind: [ids.slice(0, 20)] }),
      sql.query(`UPDATE models SET status = 'retired' WHERE id = ANY($1)`, { bind: [ids.slice(10, 30)] }),
      sql.query(`UPDATE models SET description = 'touched' WHERE id = ANY($1)`, { bind: [ids] }),
    ]);
    await sql.query(`DELETE FROM models WHERE id = ANY($1)`, { bind: [ids.slice(35)] });
    const counted = async (where: string, bind: unknown[]) =>
      Number(((await sql.query(`SELECT count(*) AS n FROM models WHERE ${where}`, { bind }))[0][0] as { n: string }).n);
    for (const [query, where, bind] of [
      [`specialization=${spec}`, 'specialization = $1', [spec]],
      [`specialization=${other}`, 'specialization = $1', [other]],
      [`specialization=${spec}&status=validated`, 'specialization = $1 AND status = $2', [spec, 'validated']],
      [`specialization=${spec}&status=retired`, 'specialization = $1 AND status = $2', [spec, 'retired']],
      [`specialization=${spec}&status=registered`, 'specialization = $1 AND status = $2', [spec, 'registered']],
    ] as const) {
      const page = await get(`/api/v1/models?${query}&limit=1`);
      expect([query, page.body.total]).toEqual([query, await counted(where, [...bind])]);
    }
  });

  it.each([
    ['limit above 100', '/api/v1/models?limit=101', 'query.limit'],
    ['a negative skip', '/api/v1/models?skip=-1', 'query.skip'],
    ['a malformed id', '/api/v1/models/not-a-uuid', 'param.id'],
  ])('answers 400 for %s, naming the field', async (_case, path, field) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('validation_error');
    expect(res.body.error?.details?.fields.map((f) => f.field)).toContain(field);
  });

  it('answers 404 for an unknown model and an unknown route', async () => {
    expect((await get('/api/v1/models/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get('/api/v1/nothing-here')).status).toBe(404);
  });

  it.each([
    ['a missing field', model({ name: undefined }), 'body.name'],
    ['a bad version', model({ version: 'one two' }), 'body.version'],
    ['an absolute model path', model({ modelPath: '/etc/passwd' }), 'body.modelPath'],
    ['a path escaping storage', model({ modelPath: 'a/../../secrets' }), 'body.modelPath'],
    ['mass assignment of status', model({ version: '9', status: 'deployed' }), 'body'],
    ['mass assignment of id', model({ version: '9', id: '00000000-0000-4000-8000-000000000000' }), 'body'],
    [
      'a price that is not a number',
      model({ version: '9', config: { costPer1kTokens: 'cheap' } }),
      'body.config.costPer1kTokens',
    ],
  ])('rejects %s with 400 naming the field', async (_case, body, field) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.body.error?.details?.fields.map((f) => f.field)).toContain(field);
  });

  it('rejects malformed JSON with 400 and a too-large body with 413', async () => {
    const bad = await t.app.request('/api/v1/models/register', {
      method: 'POST',
      headers: { ...writer, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Body).error?.code).toBeDefined();
    const big = await register(model({ description: 'x'.repeat(8192) }));
    expect(big.status).toBe(413);
    expect(big.body.error?.code).toBe('payload_too_large');
    // PostgreSQL text cannot hold NUL: a 400 naming the field, not a 500 from the database.
    const nul = await register(model({ description: 'brake\u0000pads' }));
    expect(nul.status).toBe(400);
    expect(nul.body.error?.details?.fields[0].field).toBe('body.description');
    const nested = await t.app.request('/api/v1/alerts/prometheus', {
      method: 'POST',
      headers: { ...writer, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            fingerprint: 'f',
            startsAt: new Date().toISOString(),
            labels: { alertname: 'x\u0000' },
            annotations: {},
          },
        ],
      }),
    });
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as Body).error?.details?.fields[0].field).toBe('body.alerts.0.labels.alertname');
    // A declared length over the limit is refused from the header, before the body is read.
    const declared = await t.app.request('/api/v1/models/register', {
      method: 'POST',
      headers: { ...writer, 'content-type': 'application/json', 'content-length': '10000000' },
      body: '{}',
    });
    expect(declared.status).toBe(413);
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = (await (await t.app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/models/register',
        '/api/v1/models',
        '/api/v1/models/{id}',
        '/api/v1/models/{id}/validate',
        '/api/v1/training/jobs',
        '/api/v1/training/jobs/{id}/cancel',
      ]),
    );
    const docs = await t.app.request('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
