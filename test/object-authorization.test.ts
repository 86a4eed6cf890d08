import { signToken, type AccessLevel } from '../auth/token';
import { modelsOf } from '../db/models';
import { createTestApp, json, type TestApp } from './helpers/app';
import { TEST_JWT_SECRET, uniqueName } from './helpers/env';
import { registerServableModel } from '../support/servable-model';
import { objectsOf } from './helpers/foreign-objects';
import { bearer } from './helpers/tokens';

/**
 * Object-level authorization (OWASP API1): a token whose `resources` name some specializations acts
 * on those only. Named specializations outside them are a 403; objects found by ID outside them are
 * a 404 (as if they did not exist); lists show only what is in scope. `*` keeps every specialization.
 */
describe("object-level authorization by the token's resources", () => {
  let t: TestApp;
  const ours = uniqueName('scope-ours');
  const theirs = uniqueName('scope-theirs');
  const scoped = (level: AccessLevel, resources: string[]) =>
    bearer(signToken(TEST_JWT_SECRET, { sub: `scoped-${level}`, level, ttlSeconds: 600, resources }));
  const everything = bearer(signToken(TEST_JWT_SECRET, { sub: 'operator', level: 'admin', ttlSeconds: 600 }));
  let theirModel: { id: string };
  let ourModel: { id: string };
  let theirDeployment: string;
  let theirJob: string;
  let theirAlert: string;

  beforeAll(async () => {
    t = await createTestApp();
    const objects = await objectsOf(t, theirs);
    theirModel = { id: objects.modelId };
    ourModel = await registerServableModel(t, ours);
    theirDeployment = objects.deploymentId;
    theirJob = objects.jobId;
    theirAlert = objects.alertId;
  });
  afterAll(() => t.close());

  it('hides objects of other specializations: 404 by ID, absent from lists', async () => {
    const reader = scoped('read', [ours]);
    const status = async (path: string) => (await t.app.request(path, { headers: reader })).status;
    expect(await status(`/api/v1/models/${theirModel.id}`)).toBe(404);
    expect(await status(`/api/v1/models/${ourModel.id}`)).toBe(200);
    expect(await status(`/api/v1/models/${theirModel.id}/lineage`)).toBe(404);
    expect(await status(`/api/v1/deployments/${theirDeployment}`)).toBe(404);
    expect(await status(`/api/v1/training/jobs/${theirJob}`)).toBe(404);
    expect(await status(`/api/v1/training/jobs/${theirJob}/logs`)).toBe(404);

    const ids = async (path: string) =>
      (
        (await (await t.app.request(path, { headers: reader })).json()) as {
          items: { id: string; specialization: string | null }[];
        }
      ).items;
    const models = await ids('/api/v1/models?limit=100');
    expect(models.map((m) => m.id)).toContain(ourModel.id);
    expect(models.every((m) => m.specialization === ours)).toBe(true);
    // Asking for the other specialization by filter finds nothing rather than leaking it.
    expect(await ids(`/api/v1/models?specialization=${theirs}`)).toEqual([]);
    expect(await ids(`/api/v1/deployments?specialization=${theirs}`)).toEqual([]);
    expect((await ids('/api/v1/deployments?limit=100')).every((d) => d.specialization === ours)).toBe(true);
    expect(await ids(`/api/v1/training/jobs?specialization=${theirs}`)).toEqual([]);
    expect((await ids('/api/v1/training/jobs?limit=100')).every((j) => j.specialization === ours)).toBe(true);
    expect((await ids('/api/v1/alerts?limit=500')).map((a) => a.id)).not.toContain(theirAlert);

    // An unrestricted token sees them all.
    expect((await t.app.request(`/api/v1/models/${theirModel.id}`, { headers: everything })).status).toBe(200);
    expect(
      (
        (await (await t.app.request('/api/v1/alerts?limit=500', { headers: everything })).json()) as {
          items: { id: string }[];
        }
      ).items.map((a) => a.id),
    ).toContain(theirAlert);
  });

  it('refuses actions on other specializations: 403 by name, 404 by ID, nothing changed', async () => {
    const writer = scoped('write', [ours]);
    const admin = scoped('admin', [ours]);
    const post = (path: string, body: object, headers = writer) => t.app.request(path, json(body, headers));
    const registered = await post('/api/v1/models/register', {
      name: uniqueName('m'),
      specialization: theirs,
      baseModel: 'b',
      version: '1',
    });
    expect(registered.status).toBe(403);
    expect(((await registered.json()) as { error: { message: string } }).error.message).toBe(
      `this token may not act on specialization ${theirs}`,
    );
    expect((await post('/api/v1/training/jobs', { name: 'x', specialization: theirs })).status).toBe(403);
    expect((await post(`/api/v1/models/${ourModel.id}/deploy`, { specialization: theirs })).status).toBe(403);
    expect((await post(`/api/v1/models/${theirModel.id}/deploy`, { specialization: ours })).status).toBe(404);
    expect((await post(`/api/v1/deployments/${theirDeployment}/rollback`, {})).status).toBe(404);
    expect((await post(`/api/v1/deployments/${theirDeployment}/approve`, {})).status).toBe(404);
    expect(
      (await t.app.request(`/api/v1/training/jobs/${theirJob}/cancel`, { method: 'POST', headers: writer })).status,
    ).toBe(404);
    expect(
      (await t.app.request(`/api/v1/alerts/${theirAlert}/acknowledge`, { method: 'POST', headers: writer })).status,
    ).toBe(404);
    expect(
      (await t.app.request(`/api/v1/alerts/${theirAlert}/resolve`, { method: 'POST', headers: writer })).status,
    ).toBe(404);
    expect((await post(`/api/v1/inference/${theirs}`, { input: 'brake pads' }, scoped('read', [ours]))).status).toBe(
      403,
    );
    expect((await post('/api/v1/watchdogs', { specialization: theirs }, admin)).status).toBe(403);
    expect((await t.app.request(`/api/v1/watchdogs/${theirs}`, { headers: admin })).status).toBe(403);
    expect(
      (await post(`/api/v1/watchdogs/${theirs}/incidents`, { requests: 10, errors: 10, reason: 'x' })).status,
    ).toBe(403);
    for (const path of [
      `/api/v1/routing/${theirs}`,
      `/api/v1/specializations/${theirs}/history`,
      `/api/v1/performance/${theirs}/decisions`,
      `/api/v1/performance/${theirs}/trace`,
    ]) {
      expect([path, (await t.app.request(path, { headers: writer })).status]).toEqual([path, 403]);
    }
    // The thresholds file holds every specialization's policy: a scoped admin may not rewrite it.
    const current = (await (await t.app.request('/api/v1/performance/thresholds', { headers: admin })).json()) as {
      thresholds: object;
    };
    expect(
      (
        await t.app.request('/api/v1/performance/thresholds', {
          method: 'PUT',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify({ thresholds: current.thresholds }),
        })
      ).status,
    ).toBe(403);

    // Nothing changed for the other specialization.
    expect(await modelsOf(t.sequelize).Deployment.findByPk(theirDeployment)).toMatchObject({ status: 'promoted' });
    expect(
      (
        (await (await t.app.request(`/api/v1/alerts?specialization=${theirs}`, { headers: everything })).json()) as {
          items: { status: string }[];
        }
      ).items[0].status,
    ).toBe('firing');
    // Its own specialization works as before.
    expect((await t.app.request(`/api/v1/routing/${ours}`, { headers: writer })).status).toBe(404); // nothing routed yet, but allowed to ask
    expect(
      (
        await post('/api/v1/models/register', {
          name: uniqueName('m'),
          specialization: ours,
          baseModel: 'b',
          version: '1',
        })
      ).status,
    ).toBe(201);
  });

  it("shows a scoped token the thresholds' defaults and its own specializations' sections only", async () => {
    const sections = async (headers: Record<string, string>) =>
      Object.keys(
        (
          (await (await t.app.request('/api/v1/performance/thresholds', { headers })).json()) as {
            thresholds: { specializations?: Record<string, unknown> };
          }
        ).thresholds.specializations ?? {},
      );
    expect(await sections(everything)).toContain('parts-specialist');
    expect(await sections(scoped('read', [ours]))).toEqual([]);
    expect(await sections(scoped('read', ['parts-specialist']))).toEqual(['parts-specialist']);
  });

  it('grants nothing for an empty or missing resources list (fails closed)', async () => {
    const none = scoped('read', []);
    expect(((await (await t.app.request('/api/v1/models', { headers: none })).json()) as { total: number }).total).toBe(
      0,
    );
    expect((await t.app.request(`/api/v1/routing/${ours}`, { headers: none })).status).toBe(403);
    expect((await t.app.request(`/api/v1/models/${ourModel.id}`, { headers: none })).status).toBe(404);
  });
});
