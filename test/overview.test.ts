import { signToken } from '../auth/token';
import { createTestApp, type TestApp } from './helpers/app';
import { TEST_JWT_SECRET, uniqueName } from './helpers/env';
import { objectsOf } from './helpers/foreign-objects';
import { bearer } from './helpers/tokens';
import { deploymentRow } from '../support/deployment-rows';
import { registerServableModel } from '../support/servable-model';

interface Overview {
  items: {
    specialization: string;
    routing: { stable: { deploymentId: string } | null };
    watchdog: { lastWindowAt: string; serving: string; lastVerdict: string } | null;
    openAlerts: number;
    lastSwitches: { action: string; reason: string }[];
  }[];
  rollouts: { id: string; status: string }[];
}

/** GET /api/v1/overview: every routed specialization in one answer from the database, scoped like every list. */
describe('the overview', () => {
  let t: TestApp;
  const ours = uniqueName('overview-ours');
  const theirs = uniqueName('overview-theirs');
  let ourObjects: Awaited<ReturnType<typeof objectsOf>>;
  const rollouts: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    ourObjects = await objectsOf(t, ours);
    await objectsOf(t, theirs);
    await t.stores.watchdog.recordWindow(ours, {
      at: new Date().toISOString(),
      until: new Date().toISOString(),
      deploymentId: ourObjects.deploymentId,
      role: 'primary-serving',
      stats: {
        requests: 20,
        errors: 0,
        slow: 0,
        p95LatencyMs: 10,
        labelled: 5,
        correct: 5,
        accuracy: 1,
        costPer1kTokens: null,
      },
      verdict: { kind: 'healthy', reason: 'ok' },
    });
    // A rollout under way in each specialization.
    for (const specialization of [ours, theirs]) {
      const model = await registerServableModel(t, specialization);
      rollouts[specialization] = await deploymentRow(t.sequelize, specialization, model, {
        status: 'rolling_out',
        by: 'test',
      });
    }
    // Four switches, a second apart: the overview shows the newest three.
    for (const [i, action] of ['switch', 'rollback', 'switch', 'rollback'].entries())
      await t.sequelize.query(
        `INSERT INTO model_switch_events (specialization, action, reason, workflow_id, idempotency_key, created_at)
         VALUES ($1, $2, $3, 'watchdog', $4, NOW() - make_interval(secs => $5))`,
        { bind: [ours, action, `switch ${i}`, uniqueName('k'), 10 - i] },
      );
  });
  afterAll(async () => {
    await t?.close();
  });

  const overview = async (token: string) => {
    const res = await t.app.request('/api/v1/overview', { headers: bearer(token) });
    expect(res.status).toBe(200);
    return (await res.json()) as Overview;
  };

  it('shows what serves each specialization, its watchdog’s newest window and its open alerts', async () => {
    const all = await overview(signToken(TEST_JWT_SECRET, { sub: 'viewer', level: 'read', ttlSeconds: 600 }));
    const item = all.items.find((i) => i.specialization === ours)!;
    expect(item).toMatchObject({
      routing: { stable: { deploymentId: ourObjects.deploymentId } },
      watchdog: { serving: 'primary', lastVerdict: 'healthy' },
      openAlerts: 1,
    });
    expect(item.lastSwitches.map((e) => e.reason)).toEqual(['switch 3', 'switch 2', 'switch 1']);
    expect(all.items.some((i) => i.specialization === theirs)).toBe(true);
    expect(all.rollouts.map((d) => d.id)).toEqual(expect.arrayContaining([rollouts[ours], rollouts[theirs]]));
  });

  it('shows a scoped token its own specializations only', async () => {
    const scoped = await overview(
      signToken(TEST_JWT_SECRET, { sub: 'scoped', level: 'read', ttlSeconds: 600, resources: [ours] }),
    );
    expect(scoped.items.map((i) => i.specialization)).toEqual([ours]);
    expect(scoped.rollouts).toEqual([expect.objectContaining({ id: rollouts[ours], status: 'rolling_out' })]);
  });
});
