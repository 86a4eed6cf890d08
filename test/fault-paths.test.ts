import { QueryTypes } from 'sequelize';
import { modelsOf } from '../db/models';
import { performanceWatchdog, watchdogStateQuery } from '../workflows/watchdog/performance-watchdog';
import { createIsolatedDatabase, createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { recordHistory } from './helpers/histories';
import { registerServableModel } from '../support/servable-model';
import { freePort } from '../support/ports';
import { startRelayCoreEmulator, type RelayCoreEmulator } from './helpers/relaycore';
import { bearer, tokenFor } from './helpers/tokens';
import { startTraffic } from './helpers/traffic';
import { eventually } from './helpers/training';
import { serveApp, startAlertReceiver, writeThresholds, type ReceivedAlert } from './helpers/watchdog';
import { withWorker } from './helpers/worker';

/**
 * Issue #12's fault paths, each driven for real (worker, dev server, the API serving, the RelayCore
 * emulator in the mode that triggers it) at the shipped statistics (test clocks: 1 s windows).
 */
describe('fault paths: outages, rollbacks that race, recreated watchdogs', () => {
  jest.setTimeout(300_000);
  let t: TestApp;
  let relaycore: RelayCoreEmulator;
  let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
  let stopServing: () => Promise<void>;
  const admin = bearer(tokenFor('admin', 'operator'));
  const reader = bearer(tokenFor('read', 'relaycore'));
  const analysis = { windowSeconds: 1, minRequests: 3, maxWindows: 10, maxP95LatencyMs: 30_000 };
  const specs = { recreate: uniqueName('fp-recreate') };

  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;

  beforeAll(async () => {
    relaycore = await startRelayCoreEmulator();
    receiver = await startAlertReceiver();
    // Its own database: the thresholds in force are per database, and another file's PUT must not
    // become the policy of these watchdogs.
    database = await createIsolatedDatabase();
    t = await createTestApp({
      DATABASE_URL: database.url,
      NW_ENABLE_FAULTS: '1',
      RELAYCORE_URL: relaycore.url,
      ALERT_WEBHOOK_URL: receiver.url,
      // A cooldown long enough to outlast a recreation: it must hold the switch back all the same.
      NW_THRESHOLDS_FILE: writeThresholds({}, { [specs.recreate]: { cooldown: '600s' } }),
      PORT: String(await freePort()),
    });
    stopServing = serveApp(t);
  });
  afterAll(async () => {
    relaycore.setMode('ok');
    await stopServing();
    await t.close();
    await database.drop();
    await relaycore.close();
    await receiver.close();
  });
  afterEach(() => {
    relaycore.setMode('ok');
    receiver.setMode('ok');
  });

  const routing = async (specialization: string) => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!;
  // A fast, latency-tolerant gate is weaker than the shipped gate policy: an admin's choice, recorded as the rollout's first decision.
  const deploy = async (modelId: string, specialization: string) => {
    const res = await t.app.request(
      `/api/v1/models/${modelId}/deploy`,
      json({ specialization, steps: [100], analysis, watch: false }, admin),
    );
    expect(res.status).toBe(202);
    return (await res.json()) as { deploymentId: string; workflowId: string };
  };
  const deployAndWait = async (modelId: string, specialization: string) => {
    const { deploymentId, workflowId } = await deploy(modelId, specialization);
    expect(await t.temporal.workflow.getHandle(workflowId).result()).toMatchObject({ outcome: 'promoted' });
    return deploymentId;
  };
  const primaryAndBackup = async (specialization: string) => {
    const backupModel = await registerServableModel(t, specialization);
    const primaryModel = await registerServableModel(t, specialization);
    const backupDeployment = await deployAndWait(backupModel.id, specialization);
    const primaryDeployment = await deployAndWait(primaryModel.id, specialization);
    return { backupModel, primaryModel, backupDeployment, primaryDeployment };
  };
  const fault = async (modelId: string) =>
    expect((await t.app.request('/api/v1/admin/faults', json({ modelId, errorRate: 1, ttl: 600 }, admin))).status).toBe(
      201,
    );
  const liftFault = async (modelId: string) =>
    expect((await t.app.request(`/api/v1/admin/faults/${modelId}`, { method: 'DELETE', headers: admin })).status).toBe(
      204,
    );
  const startWatchdog = async (specialization: string, maxWindowsPerRun?: number) => {
    const handle = await t.temporal.workflow.start(performanceWatchdog, {
      workflowId: `watchdog-${specialization}`,
      taskQueue: t.config.temporal.taskQueue,
      args: [{ specialization, maxWindowsPerRun }],
    });
    await eventually(
      () => handle.query(watchdogStateQuery),
      (v) => v.recentWindows.length >= 2,
      60_000,
    );
    return handle;
  };
  /**
   * Runs `body` with a worker, live traffic, a backup and then a primary promoted, and a watchdog
   * watching them; the watchdog is cancelled and the traffic stopped after.
   */
  const watchedPair = (
    specialization: string,
    body: (
      pair: Awaited<ReturnType<typeof primaryAndBackup>> & { handle: Awaited<ReturnType<typeof startWatchdog>> },
    ) => Promise<void>,
    { maxWindowsPerRun }: { maxWindowsPerRun?: number } = {},
  ) =>
    withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      try {
        const pair = await primaryAndBackup(specialization);
        const handle = await startWatchdog(specialization, maxWindowsPerRun);
        await body({ ...pair, handle });
        await handle.cancel();
      } finally {
        await traffic.stop();
      }
    });
  /**
   * Two models promoted one after the other, then the second rolled back through the API (after
   * `beforeRollback`): the rollbackDeployment workflow's handle, and RelayCore's call count before
   * the rollback. Runs inside a worker.
   */
  const promoteTwiceAndRollBack = async (specialization: string, reason: string, beforeRollback = () => {}) => {
    const previousModel = await registerServableModel(t, specialization);
    const newModel = await registerServableModel(t, specialization);
    const previous = await deployAndWait(previousModel.id, specialization);
    const current = await deployAndWait(newModel.id, specialization);
    beforeRollback();
    const mark = relaycore.calls.length;
    const res = await t.app.request(`/api/v1/deployments/${current}/rollback`, json({ reason }, admin));
    expect(res.status).toBe(202);
    const handle = t.temporal.workflow.getHandle(((await res.json()) as { workflowId: string }).workflowId);
    return { previousModel, newModel, previous, current, handle, mark };
  };
  const switchActions = async (specialization: string) =>
    (
      await t.sequelize.query<{ action: string }>(
        'SELECT action FROM model_switch_events WHERE specialization = $1 ORDER BY created_at',
        { bind: [specialization], type: QueryTypes.SELECT },
      )
    ).map((e) => e.action);
  /** RelayCore route calls for the specialization it took (200, first of its key), from call number `from` on. */
  const routeCalls = (specialization: string, from = 0) =>
    relaycore.calls
      .slice(from)
      .filter((c) => c.path === `/api/routes/${specialization}` && c.status === 200 && !c.duplicate);
  const routedModel = (call: { body: unknown } | undefined) =>
    (call?.body as { modelId?: string } | undefined)?.modelId;

  it('rolls back a promoted deployment whose rollout still delivers (RelayCore down), and the promotion route never lands after it', async () => {
    const specialization = uniqueName('fp-rollback');
    const previousModel = await registerServableModel(t, specialization);
    const newModel = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      const previous = await deployAndWait(previousModel.id, specialization);
      const mark = relaycore.calls.length;
      relaycore.setMode('down');
      const { deploymentId, workflowId } = await deploy(newModel.id, specialization);
      const handle = t.temporal.workflow.getHandle(workflowId);
      // Promoted and serving, its workflow still running: RelayCore has not heard of it yet.
      await eventually(
        async () => (await routing(specialization)).stableDeploymentId,
        (id) => id === deploymentId,
        60_000,
      );
      await eventually(
        () => handle.describe(),
        (d) => d.status.name === 'RUNNING',
        5_000,
      );

      const res = await t.app.request(
        `/api/v1/deployments/${deploymentId}/rollback`,
        json({ reason: 'bad answers' }, admin),
      );
      expect(res.status).toBe(202);
      // At once, RelayCore still down (the workflow then waits only to tell it).
      await eventually(
        () => routing(specialization),
        (r) => r.stableDeploymentId === previous && r.canaryDeploymentId === null,
        30_000,
      );
      expect(await modelsOf(t.sequelize).Deployment.findByPk(deploymentId)).toMatchObject({ status: 'rolled_back' });
      // RelayCore back: its route ends on the model that serves, not the rolled-back one.
      relaycore.setMode('ok');
      expect(await handle.result()).toMatchObject({
        outcome: 'rolled_back',
        reason: expect.stringMatching(/^rolled back by .* after promotion: bad answers; .* serves again$/),
      });
      await eventually(
        async () => routeCalls(specialization, mark),
        (calls) => calls.some((c) => routedModel(c) === previousModel.id),
        90_000,
      );
      await new Promise((r) => setTimeout(r, 3_000));
      expect(routeCalls(specialization, mark).map(routedModel)).toEqual([previousModel.id]);
      // One decision and one switch event, though the rollout records its own end too.
      const view = (await (await t.app.request(`/api/v1/deployments/${deploymentId}`, { headers: reader })).json()) as {
        decisions: { kind: string }[];
      };
      expect(view.decisions.filter((d) => d.kind === 'rolled-back')).toHaveLength(1);
      expect(await switchActions(specialization)).toEqual(['rollback']);
      await recordHistory(handle, 'deployment-rolled-back-after-promotion');
    });
  });

  it('rolls back a promoted deployment (rollbackDeployment): the backup serves, RelayCore is told, the decision and a switch event are recorded', async () => {
    const specialization = uniqueName('fp-rollback-done');
    await withWorker(t.config, t.sequelize, async () => {
      const { previousModel, newModel, previous, current, handle, mark } = await promoteTwiceAndRollBack(
        specialization,
        'wrong answers on parts questions',
      );
      expect(await handle.result()).toMatchObject({ restoredDeploymentId: previous });
      expect(await routing(specialization)).toMatchObject({
        stableDeploymentId: previous,
        backupDeploymentId: null,
        canaryDeploymentId: null,
      });
      await eventually(
        async () => routeCalls(specialization, mark),
        (calls) => calls.length === 1,
      );
      expect(routedModel(routeCalls(specialization, mark)[0])).toBe(previousModel.id);

      const view = (await (await t.app.request(`/api/v1/deployments/${current}`, { headers: reader })).json()) as {
        status: string;
        decisions: { kind: string; message: string }[];
      };
      expect(view.status).toBe('rolled_back');
      expect(view.decisions.at(-1)).toMatchObject({
        kind: 'rolled-back',
        message: `rolled back by operator: wrong answers on parts questions; ${previous} serves`,
      });
      const events = (await (
        await t.app.request(`/api/v1/performance/${specialization}/decisions`, { headers: reader })
      ).json()) as { switchEvents: unknown[] };
      expect(events.switchEvents).toEqual([
        expect.objectContaining({
          action: 'rollback',
          fromModelId: newModel.id,
          toModelId: previousModel.id,
          workflowId: `deployment-${specialization}`,
          stats: expect.objectContaining({ by: 'operator', fromDeploymentId: current, toDeploymentId: previous }),
        }),
      ]);
      // A second rollback has nothing to do.
      expect((await t.app.request(`/api/v1/deployments/${current}/rollback`, json({}, admin))).status).toBe(409);
      await recordHistory(handle, 'deployment-rollback');
    });
  });

  it('keeps a rollback RelayCore refuses (4xx): routing restored, the refusal on its decision and its switch event', async () => {
    const specialization = uniqueName('fp-rollback-refused');
    await withWorker(t.config, t.sequelize, async () => {
      const { previous, current, handle } = await promoteTwiceAndRollBack(specialization, 'bad answers', () =>
        relaycore.setMode('reject'),
      );
      // Completed, not failed: the rollback happened; RelayCore's refusal is a fact recorded beside it.
      expect(await handle.result()).toMatchObject({ restoredDeploymentId: previous });
      expect((await routing(specialization)).stableDeploymentId).toBe(previous);
      const view = (await (await t.app.request(`/api/v1/deployments/${current}`, { headers: reader })).json()) as {
        decisions: { kind: string; message: string }[];
      };
      expect(view.decisions.map((d) => d.kind).slice(-2)).toEqual(['rolled-back', 'undeliverable']);
      expect(view.decisions.at(-1)!.message).toMatch(/^RelayCore rollback route: undeliverable: 400 /);
      const events = (await (
        await t.app.request(`/api/v1/performance/${specialization}/decisions`, { headers: reader })
      ).json()) as { switchEvents: { action: string; undeliverable: string | null }[] };
      expect(events.switchEvents).toEqual([
        expect.objectContaining({ action: 'rollback', undeliverable: expect.stringMatching(/^undeliverable: 400 /) }),
      ]);
      await recordHistory(handle, 'deployment-rollback-relaycore-rejects');
    });
  });

  it('keeps evaluating and continues as new during a RelayCore outage; the pending route is delivered afterwards', async () => {
    const specialization = uniqueName('fp-outage');
    await watchedPair(
      specialization,
      async ({ primaryModel, backupModel, backupDeployment, handle }) => {
        const mark = relaycore.calls.length;
        relaycore.setMode('down');
        await fault(primaryModel.id);
        await eventually(
          () => routing(specialization),
          (r) => r.stableDeploymentId === backupDeployment,
          60_000,
        );
        const failedOver = await eventually(
          () => handle.query(watchdogStateQuery),
          (v) => v.serving === 'backup',
          10_000,
        );
        // Before: the run waited for the delivery at its window budget; no window was judged until RelayCore answered.
        const later = await eventually(
          () => handle.query(watchdogStateQuery),
          (v) =>
            v.runId !== failedOver.runId &&
            v.lastEvaluatedAt !== failedOver.lastEvaluatedAt &&
            (v.pendingDeliveries?.length ?? 0) > 0,
          60_000,
        );
        expect(later.pendingDeliveries!.map((d) => d.what)).toContainEqual(
          expect.stringMatching(/^RelayCore route of watchdog-/),
        );
        expect(routeCalls(specialization, mark)).toEqual([]);
        relaycore.setMode('ok');
        await eventually(
          async () => routeCalls(specialization, mark),
          (calls) => calls.some((c) => routedModel(c) === backupModel.id),
          90_000,
        );
        await eventually(
          () => handle.query(watchdogStateQuery),
          (v) => (v.pendingDeliveries ?? []).every((d) => d.kind !== 'relaycore-route'),
          60_000,
        );
        await recordHistory(handle, 'watchdog-deliveries-carried-over');
      },
      { maxWindowsPerRun: 5 },
    );
  });

  it('ends a failover when the failed deployment is rolled back: the rolled-back model never returns', async () => {
    const specialization = uniqueName('fp-failover-rollback');
    await watchedPair(specialization, async ({ primaryModel, backupDeployment, primaryDeployment, handle }) => {
      await fault(primaryModel.id);
      await eventually(
        () => routing(specialization),
        (r) => r.stableDeploymentId === backupDeployment && r.failoverFromDeploymentId === primaryDeployment,
        60_000,
      );

      const res = await t.app.request(
        `/api/v1/deployments/${primaryDeployment}/rollback`,
        json({ reason: 'it broke in production' }, admin),
      );
      expect(res.status).toBe(202);
      const rollback = t.temporal.workflow.getHandle(((await res.json()) as { workflowId: string }).workflowId);
      await rollback.result();
      await recordHistory(rollback, 'deployment-rollback-during-failover');
      expect(await routing(specialization)).toMatchObject({
        stableDeploymentId: backupDeployment,
        failoverFromDeploymentId: null,
        backupDeploymentId: null,
      });
      // The watchdog follows: the backup is its primary now; the rolled-back model recovering changes nothing.
      await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.primaryDeploymentId === backupDeployment && v.serving === 'primary',
        30_000,
      );
      await liftFault(primaryModel.id);
      const before = (await handle.query(watchdogStateQuery)).recentWindows.length;
      await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.recentWindows.filter((w) => w.deploymentId === backupDeployment).length >= Math.min(20, before + 8),
        60_000,
      );
      expect((await routing(specialization)).stableDeploymentId).toBe(backupDeployment);
      expect(await switchActions(specialization)).toEqual(['switch']);

      // Who served when: every change, newest first, each with the decision that made it.
      type Page = {
        items: {
          id: string;
          from: string;
          to: string | null;
          stable: { deploymentId: string } | null;
          backup: { deploymentId: string } | null;
          failoverFrom: unknown;
          change: { cause: string; reason: string; workflowId: string | null; webUiUrl: string | null };
        }[];
        nextBefore: string | null;
      };
      const history = await t.app.request(`/api/v1/specializations/${specialization}/history`, { headers: reader });
      expect(history.status).toBe(200);
      const { items } = (await history.json()) as Page;
      expect(items.map((i) => i.change.cause)).toEqual([
        'rollback',
        'watchdog-switch',
        'promotion',
        'canary-step',
        'promotion',
        'canary-step',
      ]);
      expect(items[0]).toMatchObject({
        to: null,
        stable: { deploymentId: backupDeployment },
        backup: null,
        failoverFrom: null,
        change: { reason: expect.stringMatching(/it broke in production/) },
      });
      expect(items[1]).toMatchObject({
        stable: { deploymentId: backupDeployment },
        failoverFrom: { deploymentId: primaryDeployment },
        change: {
          workflowId: `watchdog-${specialization}`,
          webUiUrl: expect.stringContaining(`watchdog-${specialization}`),
        },
      });
      expect(items[2]).toMatchObject({
        stable: { deploymentId: primaryDeployment },
        backup: { deploymentId: backupDeployment },
        change: { workflowId: `deployment-${specialization}` },
      });
      items.slice(1).forEach((item, i) => expect(item.to).toBe(items[i].from));
      // Paged: the second page's newest period ends where the first page's oldest began.
      const first = (await (
        await t.app.request(`/api/v1/specializations/${specialization}/history?limit=2`, { headers: reader })
      ).json()) as Page;
      const second = (await (
        await t.app.request(`/api/v1/specializations/${specialization}/history?limit=2&before=${first.nextBefore}`, {
          headers: reader,
        })
      ).json()) as Page;
      expect([...first.items, ...second.items]).toEqual(items.slice(0, 4));
      expect(
        (await t.app.request(`/api/v1/specializations/${uniqueName('nobody')}/history`, { headers: reader })).status,
      ).toBe(404);
      expect(
        (await t.app.request(`/api/v1/specializations/${specialization}/history?before=x`, { headers: reader })).status,
      ).toBe(400);
      const now = await t.app.request(`/api/v1/routing/${specialization}`, { headers: reader });
      expect(await now.json()).toMatchObject({
        specialization,
        stable: { deploymentId: backupDeployment, modelId: expect.any(String), version: '1' },
        canary: null,
        backup: null,
        failoverFrom: null,
      });
      const paths = Object.keys(
        ((await (await t.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> }).paths,
      );
      expect(paths).toEqual(
        expect.arrayContaining([
          '/api/v1/specializations/{specialization}/history',
          '/api/v1/routing/{specialization}',
        ]),
      );
      await recordHistory(handle, 'watchdog-failover-ended-by-rollback');
    });
  });

  type AlertView = {
    id: string;
    alertClass: string;
    status: string;
    modelId: string | null;
    details: Record<string, unknown> | null;
    deliveredStatus: string | null;
    deliveredAt: string | null;
  };
  const alertsOf = async (specialization: string, alertClass: string) =>
    (
      (await (
        await t.app.request(`/api/v1/alerts?specialization=${specialization}&alertClass=${alertClass}`, {
          headers: reader,
        })
      ).json()) as { items: AlertView[] }
    ).items;

  it('keeps the primary and raises no-healthy-backup while the backup fails too; fails over once the backup recovers', async () => {
    const specialization = uniqueName('fp-no-backup');
    await watchedPair(
      specialization,
      async ({ primaryModel, backupModel, backupDeployment, primaryDeployment, handle }) => {
        await fault(backupModel.id);
        await fault(primaryModel.id);
        const [raised] = await eventually(
          () => alertsOf(specialization, 'no-healthy-backup'),
          (a) => a.length === 1,
          60_000,
        );
        expect(raised).toMatchObject({ status: 'firing', modelId: primaryModel.id, details: { candidates: 1 } });
        // Nothing healthy to switch to: the primary keeps serving rather than moving traffic to a broken model.
        expect((await routing(specialization)).stableDeploymentId).toBe(primaryDeployment);
        expect(await switchActions(specialization)).toEqual([]);
        expect((await handle.query(watchdogStateQuery)).noBackupSince).not.toBeNull();

        await liftFault(backupModel.id);
        await eventually(
          () => routing(specialization),
          (r) => r.stableDeploymentId === backupDeployment,
          60_000,
        );
        expect(await switchActions(specialization)).toEqual(['switch']);
        await eventually(
          () => alertsOf(specialization, 'no-healthy-backup'),
          (a) => a.length === 1 && a[0].status === 'resolved',
        );
        const [degraded] = await eventually(
          () => alertsOf(specialization, 'performance-degraded'),
          (a) => a.length === 1,
        );
        expect(degraded).toMatchObject({ status: 'firing', modelId: primaryModel.id });
        await recordHistory(handle, 'watchdog-no-healthy-backup');
      },
    );
  });

  it('follows a promotion made during a failover: the failover ends and the new model is the primary', async () => {
    const specialization = uniqueName('fp-promote-failover');
    const nextModel = await registerServableModel(t, specialization);
    await watchedPair(specialization, async ({ primaryModel, backupDeployment, primaryDeployment, handle }) => {
      await fault(primaryModel.id);
      await eventually(
        () => routing(specialization),
        (r) => r.stableDeploymentId === backupDeployment && r.failoverFromDeploymentId === primaryDeployment,
        60_000,
      );

      // The fix ships as a new model while the backup serves.
      const next = await deployAndWait(nextModel.id, specialization);
      expect(await routing(specialization)).toMatchObject({
        stableDeploymentId: next,
        backupDeploymentId: backupDeployment,
        failoverFromDeploymentId: null,
      });
      await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.primaryDeploymentId === next && v.serving === 'primary' && v.backupDeploymentId === null,
        30_000,
      );
      await eventually(
        () => alertsOf(specialization, 'performance-degraded'),
        (a) => a.length === 1 && a[0].status === 'resolved',
      );
      // The failed model recovering changes nothing: it is no longer the one the failover came from.
      await liftFault(primaryModel.id);
      const before = (await handle.query(watchdogStateQuery)).recentWindows.filter(
        (w) => w.deploymentId === next,
      ).length;
      await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.recentWindows.filter((w) => w.deploymentId === next).length >= Math.min(20, before + 5),
        60_000,
      );
      expect((await routing(specialization)).stableDeploymentId).toBe(next);
      expect(await switchActions(specialization)).toEqual(['switch']);
      await recordHistory(handle, 'watchdog-promotion-during-failover');
    });
  });

  it("fails over while the alert webhook is down, delivers the alert once it is back, and delivers an operator's resolve too", async () => {
    const specialization = uniqueName('fp-webhook-down');
    await watchedPair(specialization, async ({ primaryModel, backupDeployment, handle }) => {
      const ofSpecialization = (r: ReceivedAlert) => r.body.alerts[0].labels.specialization === specialization;
      const mark = receiver.received.length;
      receiver.setMode('down');
      await fault(primaryModel.id);
      // The failover does not wait for the webhook.
      await eventually(
        () => routing(specialization),
        (r) => r.stableDeploymentId === backupDeployment,
        60_000,
      );
      const [degraded] = await eventually(
        () => alertsOf(specialization, 'performance-degraded'),
        (a) => a.length === 1,
      );
      await eventually(
        async () => receiver.received.slice(mark).filter((r) => ofSpecialization(r) && r.status === 503),
        (r) => r.length >= 1,
        30_000,
      );
      expect((await alertsOf(specialization, 'performance-degraded'))[0]).toMatchObject({
        status: 'firing',
        deliveredAt: null,
      });
      const before = await handle.query(watchdogStateQuery);
      expect(before.pendingDeliveries?.map((d) => d.kind)).toContain('alert');
      await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.lastEvaluatedAt !== before.lastEvaluatedAt,
        30_000,
      );

      receiver.setMode('ok');
      const delivered = () => receiver.distinct().filter(ofSpecialization);
      await eventually(
        async () => delivered(),
        (r) => r.length === 1 && r[0].body.status === 'firing',
        90_000,
      );
      await eventually(
        () => alertsOf(specialization, 'performance-degraded'),
        (a) => a[0].deliveredStatus === 'firing',
      );

      // An operator resolves it by hand, twice: the receiver hears of it once.
      const resolve = () => t.app.request(`/api/v1/alerts/${degraded.id}/resolve`, { method: 'POST', headers: admin });
      expect((await resolve()).status).toBe(200);
      expect((await resolve()).status).toBe(200);
      await eventually(
        async () => delivered().filter((r) => r.body.status === 'resolved'),
        (r) => r.length === 1,
        60_000,
      );
      await eventually(
        () => alertsOf(specialization, 'performance-degraded'),
        (a) => a[0].status === 'resolved' && a[0].deliveredStatus === 'resolved',
      );
      await recordHistory(t.temporal.workflow.getHandle(`alert-${degraded.id}-resolved`), 'alert-resolved-by-hand');
    });
  });

  it('a recreated watchdog keeps the cooldown and the recovery streak of the one it replaces', async () => {
    const specialization = specs.recreate;
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      try {
        const { primaryModel, backupDeployment, primaryDeployment } = await primaryAndBackup(specialization);
        const first = await startWatchdog(specialization);
        await fault(primaryModel.id);
        await eventually(
          () => routing(specialization),
          (r) => r.stableDeploymentId === backupDeployment,
          60_000,
        );
        await liftFault(primaryModel.id);
        // Recovered (3 healthy in a row is enough to switch back), held by the 600 s cooldown (long: recovery takes minutes on a loaded machine, and the test never waits the cooldown out).
        const held = await eventually(
          () => first.query(watchdogStateQuery),
          (v) => v.serving === 'backup' && v.evaluation.healthyStreak >= 4,
          240_000,
        );
        expect(held.evaluation.cooldownUntil * 1_000).toBeGreaterThan(Date.now() + 20_000);
        await first.terminate('test: recreate the watchdog');

        const second = await t.temporal.workflow.start(performanceWatchdog, {
          workflowId: `watchdog-${specialization}`,
          taskQueue: t.config.temporal.taskQueue,
          args: [{ specialization }],
        });
        const resumed = await eventually(
          () => second.query(watchdogStateQuery),
          (v) => v.recentWindows.length >= 1,
          60_000,
        );
        expect(resumed).toMatchObject({
          primaryDeploymentId: primaryDeployment,
          backupDeploymentId: backupDeployment,
          serving: 'backup',
        });
        // The later of the recorded cooldown and the switch event's time plus the cooldown: the event
        // is stamped by the database when the switch commits, a moment after the decision.
        expect(resumed.evaluation.cooldownUntil).toBeGreaterThanOrEqual(held.evaluation.cooldownUntil);
        expect(resumed.evaluation.cooldownUntil).toBeLessThan(held.evaluation.cooldownUntil + 15);
        // The streak goes on from the records (one window may not have been recorded yet), not from 0.
        expect(resumed.evaluation.healthyStreak).toBeGreaterThanOrEqual(3);
        expect((await routing(specialization)).stableDeploymentId).toBe(backupDeployment);
        expect(await switchActions(specialization)).toEqual(['switch']);
        await recordHistory(second, 'watchdog-resumed-after-recreate');
        await second.cancel();
      } finally {
        await traffic.stop();
      }
    });
  }, 420_000);
});
