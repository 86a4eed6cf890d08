import pg from 'pg';
import { QueryTypes } from 'sequelize';
import { resolveDatabaseUrl } from '../db/connection';
import { modelsOf } from '../db/models';
import { freePort } from '../support/ports';
import { createIsolatedDatabase, createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { recordHistory } from './helpers/histories';
import { registerServableModel } from '../support/servable-model';
import { startRelayCoreEmulator, uniqueDeliveries, type RelayCoreEmulator } from './helpers/relaycore';
import { bearer, tokenFor } from './helpers/tokens';
import { startTraffic } from './helpers/traffic';
import { eventually } from './helpers/training';
import { serveApp, startAlertReceiver, writeThresholds } from './helpers/watchdog';
import { withWorker } from './helpers/worker';
import { startWorkerProcess } from './helpers/worker-process';
import { TEST_JWT_SECRET } from './helpers/env';
import { REPORTER_ROLE, signToken, SYSTEM } from '../auth/token';
import { performanceWatchdog, rollbackUpdate, watchdogStateQuery } from '../workflows/watchdog/performance-watchdog';
import { superviseWatchdog } from '../workflows/watchdog/supervise-watchdog';
import type { WatchdogStateView } from '../workflows/watchdog/types';

interface WatchdogView {
  running: boolean;
  paused: boolean;
  state: WatchdogStateView | null;
}

describe('performanceWatchdog with live traffic through the API', () => {
  jest.setTimeout(300_000);
  let t: TestApp;
  let relaycore: RelayCoreEmulator;
  let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
  let stopServing: () => Promise<void>;
  const admin = bearer(tokenFor('admin', 'operator'));
  const writer = bearer(tokenFor('write', 'deployer'));
  const reader = bearer(tokenFor('read', 'relaycore'));
  const analysis = { windowSeconds: 1, minRequests: 3, maxWindows: 10, maxP95LatencyMs: 30_000 };
  // One thresholds file for the whole file (versions are global in the database): overrides per case.
  const specs = {
    trip: uniqueName('wd-trip'),
    noisy: uniqueName('wd-noisy'),
    crash: uniqueName('wd-crash'),
    manual: uniqueName('wd-manual'),
    cooldown: uniqueName('wd-cooldown'),
  };
  let thresholdsFile: string;

  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;

  beforeAll(async () => {
    relaycore = await startRelayCoreEmulator();
    receiver = await startAlertReceiver();
    const port = String(await freePort());
    // Its own database: the thresholds in force are per database, and another file's PUT must not
    // become the policy of these watchdogs.
    database = await createIsolatedDatabase();
    t = await createTestApp({
      DATABASE_URL: database.url,
      NW_ENABLE_FAULTS: '1',
      RELAYCORE_URL: relaycore.url,
      ALERT_WEBHOOK_URL: receiver.url,
      NW_THRESHOLDS_FILE: (thresholdsFile = writeThresholds(
        {},
        { [specs.manual]: { autoRollback: false }, [specs.cooldown]: { autoRollback: false, cooldown: '60s' } },
      )),
      PORT: port,
    });
    stopServing = serveApp(t);
  });
  afterAll(async () => {
    await stopServing();
    await t.close();
    await database.drop();
    await relaycore.close();
    await receiver.close();
  });

  const get = async <T>(path: string, headers = reader): Promise<T> => {
    const res = await t.app.request(path, { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  /** Tests that manage the watchdog themselves deploy with watch: false; the default is covered by its own test. */
  // A fast, latency-tolerant gate is weaker than the shipped gate policy: an admin's choice, recorded as the rollout's first decision.
  const deployAndWait = async (modelId: string, specialization: string, steps: number[], watch = false) => {
    const res = await t.app.request(
      `/api/v1/models/${modelId}/deploy`,
      json({ specialization, steps, analysis, watch }, admin),
    );
    expect(res.status).toBe(202);
    const { deploymentId, workflowId } = (await res.json()) as { deploymentId: string; workflowId: string };
    // Known as soon as the client knows its id.
    expect((await t.app.request(`/api/v1/deployments/${deploymentId}`, { headers: reader })).status).toBe(200);
    expect(await t.temporal.workflow.getHandle(workflowId).result()).toMatchObject({ outcome: 'promoted' });
    return deploymentId;
  };
  const switchEvents = (specialization: string) =>
    t.sequelize.query<{
      action: string;
      from_model_id: string;
      to_model_id: string;
      thresholds_version: number;
      reason: string;
    }>(
      'SELECT action, from_model_id, to_model_id, thresholds_version, reason FROM model_switch_events WHERE specialization = $1 ORDER BY created_at',
      { bind: [specialization], type: QueryTypes.SELECT },
    );
  /**
   * Takes a lock (`sql`, in a transaction) on a connection of its own, outside the app's pool, and
   * holds it until `release` (once; again is a no-op). `waiting`: the connections it holds up.
   */
  const holdLock = async (sql: string, bind: unknown[] = []) => {
    const client = new pg.Client({ connectionString: resolveDatabaseUrl(t.config) });
    await client.connect();
    await client.query('BEGIN');
    await client.query(sql, bind);
    const { pid } = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0];
    let released: Promise<void> | undefined;
    return {
      waiting: async () =>
        (
          await t.sequelize.query<{ waiting: number }>(
            'SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
            { bind: [pid], type: QueryTypes.SELECT },
          )
        )[0].waiting,
      release: () => (released ??= client.query('COMMIT').then(() => client.end())),
    };
  };
  /**
   * The specialization's alerts, oldest first. A `watchdog-stalled` alert is the Schedule's view of
   * a watchdog that did not answer in time (a loaded machine can delay a workflow task by seconds):
   * left out unless asked for, since these tests count the watchdog's own alerts.
   */
  const alerts = (specialization: string, withStalled = false) =>
    t.sequelize.query<{ alert_class: string; status: string; model_id: string; count: number; fingerprint: string }>(
      `SELECT alert_class, status, model_id, count, fingerprint FROM performance_alerts WHERE specialization = $1 ${withStalled ? '' : "AND alert_class <> 'watchdog-stalled'"} ORDER BY first_seen`,
      { bind: [specialization], type: QueryTypes.SELECT },
    );

  it('switches to the backup when the primary fails, alerts once, tells RelayCore once, and switches back when it recovers', async () => {
    const specialization = specs.trip;
    const backupModel = await registerServableModel(t, specialization);
    const primaryModel = await registerServableModel(t, specialization);

    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      const backupDeployment = await deployAndWait(backupModel.id, specialization, [100]);
      const primaryDeployment = await deployAndWait(primaryModel.id, specialization, [100]);
      expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toMatchObject({
        stableDeploymentId: primaryDeployment,
        backupDeploymentId: backupDeployment,
      });

      // The Schedule's first tick starts the watchdog; it watches the new primary.
      const created = await t.app.request('/api/v1/watchdogs', json({ specialization }, admin));
      expect(created.status).toBe(201);
      expect((await t.app.request('/api/v1/watchdogs', json({ specialization }, admin))).status).toBe(409);
      const watching = await eventually(
        () => get<WatchdogView>(`/api/v1/watchdogs/${specialization}`),
        (v) =>
          (v.state?.recentWindows.filter((w) => w.deploymentId === primaryDeployment && w.verdict.kind !== 'breach')
            .length ?? 0) >= 2,
      );
      expect(watching.state).toMatchObject({ primaryDeploymentId: primaryDeployment, serving: 'primary' });
      relaycore.calls.length = 0;

      // Every request to the primary fails: the first window that shows it is conclusive.
      const faultAt = Date.now();
      expect(
        (await t.app.request('/api/v1/admin/faults', json({ modelId: primaryModel.id, errorRate: 1, ttl: 600 }, admin)))
          .status,
      ).toBe(201);
      await eventually(
        async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
        (r) => r.stableDeploymentId === backupDeployment,
        60_000,
      );
      const switchedAt = Date.now();
      const routing = await modelsOf(t.sequelize).Routing.findByPk(specialization);
      expect(routing).toMatchObject({
        stableDeploymentId: backupDeployment,
        backupDeploymentId: primaryDeployment,
        failoverFromDeploymentId: primaryDeployment,
      });

      // Traffic is served by the backup from now on.
      const servedBefore = traffic.report.byDeployment[backupDeployment] ?? 0;
      await eventually(
        async () => traffic.report.byDeployment[backupDeployment] ?? 0,
        (n) => n >= servedBefore + 10,
        10_000,
      );

      const events = await switchEvents(specialization);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'switch',
        from_model_id: primaryModel.id,
        to_model_id: backupModel.id,
      });
      expect(events[0].thresholds_version).toBeGreaterThan(0);
      expect(events[0].reason).toMatch(/^breach: error rate \d+\.\d% of \d+ over 1 window/);

      const firing = await eventually(
        () => alerts(specialization),
        (a) => a.length === 1,
      );
      expect(firing[0]).toMatchObject({
        alert_class: 'performance-degraded',
        status: 'firing',
        model_id: primaryModel.id,
        count: 1,
      });
      const degraded = () =>
        receiver.distinct().filter((r) => r.body.alerts[0].labels.alertname === 'performance-degraded');
      const fired = await eventually(
        async () => degraded().filter((r) => r.body.status === 'firing'),
        (r) => r.length === 1,
      );
      expect(fired[0].body.alerts[0]).toMatchObject({
        fingerprint: firing[0].fingerprint,
        labels: { alertname: 'performance-degraded', specialization, model_id: primaryModel.id },
      });
      const routeCalls = () =>
        uniqueDeliveries(relaycore.calls).filter((c) => c.path === `/api/routes/${specialization}`);
      await eventually(
        async () => routeCalls(),
        (c) => c.length === 1,
      );
      expect(routeCalls()[0].body).toMatchObject({ modelId: backupModel.id });

      const decisions = await get<{ switchEvents: unknown[]; watchdog: WatchdogStateView }>(
        `/api/v1/performance/${specialization}/decisions`,
      );
      expect(decisions.switchEvents).toHaveLength(1);
      expect(decisions.watchdog).toMatchObject({
        serving: 'backup',
        backupDeploymentId: backupDeployment,
        lastDecision: { action: 'switch' },
      });
      const alertList = await get<{ items: { id: string; status: string }[] }>(
        `/api/v1/alerts?specialization=${specialization}&status=open`,
      );
      expect(alertList.items).toHaveLength(1);
      // The primary's lineage shows what happened to it: registered by hand (no training job), deployed, switched away from, alerted on.
      expect(await get(`/api/v1/models/${primaryModel.id}/lineage`)).toMatchObject({
        model: { id: primaryModel.id },
        trainingJob: null,
        deployments: [{ id: primaryDeployment, status: 'promoted' }],
        switchEvents: [{ action: 'switch', fromModelId: primaryModel.id, toModelId: backupModel.id }],
        alerts: [{ alertClass: 'performance-degraded', modelId: primaryModel.id, status: 'firing' }],
      });
      expect(
        (await get<{ switchEvents: unknown[] }>(`/api/v1/models/${backupModel.id}/lineage`)).switchEvents,
      ).toHaveLength(1);
      const ack = await t.app.request(`/api/v1/alerts/${alertList.items[0].id}/acknowledge`, {
        method: 'POST',
        headers: writer,
      });
      expect(((await ack.json()) as { status: string }).status).toBe('acknowledged');

      // The fault is lifted: the probes find the primary healthy (errors and 100 labels since its last breach); after 3 healthy verdicts it serves again.
      expect(
        (await t.app.request(`/api/v1/admin/faults/${primaryModel.id}`, { method: 'DELETE', headers: admin })).status,
      ).toBe(204);
      // Recovery needs evidence (errors and 100 labels since the last breach, then 3 healthy verdicts): slower on a loaded machine.
      await eventually(
        async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
        (r) => r.stableDeploymentId === primaryDeployment,
        150_000,
      );
      expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toMatchObject({
        failoverFromDeploymentId: null,
        backupDeploymentId: backupDeployment,
      });
      expect((await switchEvents(specialization)).map((e) => e.action)).toEqual(['switch', 'rollback']);
      await eventually(
        () => alerts(specialization),
        (a) => a.length === 1 && a[0].status === 'resolved',
      );
      await eventually(
        async () => degraded().filter((r) => r.body.status === 'resolved'),
        (r) => r.length === 1,
      );
      await eventually(
        async () => routeCalls(),
        (c) => c.length === 2,
      );
      expect(routeCalls()[1].body).toMatchObject({ modelId: primaryModel.id });

      const report = await traffic.stop();
      // Only requests of the tripped windows failed: no failure after the switch took effect.
      expect(report.total).toBeGreaterThan(50);
      if (process.env.DEBUG_WATCHDOG) console.log({ decisionAfterFaultMs: switchedAt - faultAt, report });

      await recordHistory(t.temporal.workflow.getHandle(`watchdog-${specialization}`), 'watchdog-trip-and-recover');
      // The trace export carries the counts the watchdog judged; backtesting it finds the same failover.
      const exported = await t.app.request(`/api/v1/performance/${specialization}/trace`, { headers: reader });
      expect(exported.status).toBe(200);
      const trace = (await exported.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { model: string; labelled?: number; correct?: number; requests: number });
      const judged = trace.filter((w) => w.model === 'primary' && w.labelled !== undefined);
      expect(judged.length).toBeGreaterThan(5);
      expect(judged.every((w) => w.correct! <= w.labelled! && w.requests >= 0)).toBe(true);
      expect(judged.some((w) => w.labelled! > 0)).toBe(true);
      const replayed = await t.app.request('/api/v1/performance/backtest', json({ trace, specialization }, admin));
      expect(replayed.status).toBe(200);
      expect(((await replayed.json()) as { decisions: { action: string }[] }).decisions[0]).toMatchObject({
        action: 'switch',
      });
      // Deleting the watchdog stops its schedule and the workflow; routing stays as it is.
      expect(
        (await t.app.request(`/api/v1/watchdogs/${specialization}`, { method: 'DELETE', headers: admin })).status,
      ).toBe(204);
      await expect(t.temporal.workflow.getHandle(`watchdog-${specialization}`).result()).rejects.toThrow();
      expect((await t.app.request(`/api/v1/watchdogs/${specialization}`, { headers: reader })).status).toBe(404);
    });
  });

  /** Two servable models deployed one after the other: the second is the primary, the first its backup. */
  const primaryAndBackup = async (specialization: string) => {
    const backupModel = await registerServableModel(t, specialization);
    const primaryModel = await registerServableModel(t, specialization);
    const backupDeployment = await deployAndWait(backupModel.id, specialization, [100]);
    const primaryDeployment = await deployAndWait(primaryModel.id, specialization, [100]);
    return { backupModel, primaryModel, backupDeployment, primaryDeployment };
  };
  const fault = async (modelId: string, ttl = 600) =>
    expect((await t.app.request('/api/v1/admin/faults', json({ modelId, errorRate: 1, ttl }, admin))).status).toBe(201);
  const startWatchdog = async (specialization: string, maxWindowsPerRun?: number) => {
    const handle = await t.temporal.workflow.start(performanceWatchdog, {
      workflowId: `watchdog-${specialization}`,
      taskQueue: t.config.temporal.taskQueue,
      args: [{ specialization, maxWindowsPerRun }],
    });
    await eventually(
      () => handle.query('state'),
      (v) => ((v as WatchdogStateView).recentWindows?.length ?? 0) >= 2,
    );
    return handle;
  };

  it('watches a specialization from its first promotion by default, follows a second promotion and fails over from it', async () => {
    const specialization = uniqueName('wd-auto');
    const firstModel = await registerServableModel(t, specialization);
    const secondModel = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      try {
        const firstDeployment = await deployAndWait(firstModel.id, specialization, [100], true);
        const decisions = await get<{ decisions: { kind: string; message: string }[] }>(
          `/api/v1/deployments/${firstDeployment}`,
        );
        expect(decisions.decisions.find((d) => d.kind === 'watched')?.message).toBe(
          `watchdog scheduled (watchdog-${specialization})`,
        );
        const watchdog = async () => {
          const res = await t.app.request(`/api/v1/watchdogs/${specialization}`, { headers: reader });
          return res.status === 200 ? ((await res.json()) as WatchdogView) : null;
        };
        await eventually(
          watchdog,
          (v) => v?.state?.primaryDeploymentId === firstDeployment && (v.state.recentWindows.length ?? 0) >= 1,
          60_000,
        );

        // The second model's rollout: canary, then promotion; the running watchdog follows it.
        const secondDeployment = await deployAndWait(secondModel.id, specialization, [50, 100], true);
        expect(
          (
            await get<{ decisions: { kind: string; message: string }[] }>(`/api/v1/deployments/${secondDeployment}`)
          ).decisions.find((d) => d.kind === 'watched')?.message,
        ).toBe(`already watched (watchdog-${specialization})`);
        await eventually(
          watchdog,
          (v) =>
            v?.state?.primaryDeploymentId === secondDeployment &&
            v.state.recentWindows.some((w) => w.deploymentId === secondDeployment),
          60_000,
        );

        // …and fails over from it to the first model when it breaks.
        await fault(secondModel.id);
        await eventually(
          async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
          (r) => r.stableDeploymentId === firstDeployment && r.failoverFromDeploymentId === secondDeployment,
          60_000,
        );
        expect((await switchEvents(specialization)).map((e) => [e.action, e.from_model_id, e.to_model_id])).toEqual([
          ['switch', secondModel.id, firstModel.id],
        ]);
      } finally {
        await traffic.stop();
        expect(
          (await t.app.request(`/api/v1/watchdogs/${specialization}`, { method: 'DELETE', headers: admin })).status,
        ).toBe(204);
      }
    });
  });

  it('records a failover RelayCore refuses (4xx) and goes on evaluating, across continue-as-new', async () => {
    const specialization = uniqueName('wd-reject');
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      try {
        const { primaryModel, backupDeployment } = await primaryAndBackup(specialization);
        const handle = await startWatchdog(specialization, 6);
        relaycore.setMode('reject');
        await fault(primaryModel.id);
        await eventually(
          async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
          (r) => r.stableDeploymentId === backupDeployment,
          60_000,
        );
        const recorded = await eventually(
          () => handle.query(watchdogStateQuery),
          (v) => (v.undeliverable?.length ?? 0) > 0,
          30_000,
        );
        expect(recorded.undeliverable![0]).toMatchObject({
          what: expect.stringMatching(/^RelayCore route of watchdog-/),
          reason: expect.stringMatching(/^undeliverable: 400 RelayCore PUT .* answered 400: /),
        });
        // Not wedged: it keeps judging windows and continues as new.
        const after = recorded.lastEvaluatedAt;
        await eventually(
          () => handle.query(watchdogStateQuery),
          (v) => v.lastEvaluatedAt !== after && v.runId !== handle.firstExecutionRunId,
          30_000,
        );
        // The switch event itself says RelayCore was not told.
        const { switchEvents: events } = await get<{
          switchEvents: { action: string; undeliverable: string | null }[];
        }>(`/api/v1/performance/${specialization}/decisions`);
        expect(events).toEqual([
          expect.objectContaining({
            action: 'switch',
            undeliverable: expect.stringMatching(/^undeliverable: 400 RelayCore PUT /),
          }),
        ]);
        await recordHistory(handle, 'watchdog-relaycore-rejects');
        await handle.cancel();
      } finally {
        relaycore.setMode('ok');
        await traffic.stop();
      }
    });
  });

  it('keeps quiet through noise and low-traffic windows (probes fill them; extra probes clear suspect ones)', async () => {
    const specialization = specs.noisy;
    await withWorker(t.config, t.sequelize, async () => {
      let traffic = startTraffic(t, specialization, reader);
      const { primaryModel } = await primaryAndBackup(specialization);
      const handle = await startWatchdog(specialization);
      for (let round = 0; round < 8; round++) {
        // A second of 6 % errors: a window often reads past 5 %, which is not evidence of it.
        expect(
          (
            await t.app.request(
              '/api/v1/admin/faults',
              json({ modelId: primaryModel.id, errorRate: 0.06, ttl: 1 }, admin),
            )
          ).status,
        ).toBe(201);
        await new Promise((r) => setTimeout(r, 4_000));
      }
      await traffic.stop(); // quiet windows: probes fill them up to minRequests
      await new Promise((r) => setTimeout(r, 4_000));
      traffic = startTraffic(t, specialization, reader);
      await new Promise((r) => setTimeout(r, 3_000));
      await traffic.stop();
      const view = (await handle.query('state')) as WatchdogStateView;
      expect(view.recentWindows.every((w) => w.stats.requests >= 20)).toBe(true);
      expect(view.serving).toBe('primary');
      expect(await switchEvents(specialization)).toEqual([]);
      expect(await alerts(specialization)).toEqual([]);
      await recordHistory(handle, 'watchdog-extra-probes-clear-noise');
      await handle.cancel();
    });
  });

  it('switches exactly once when the worker is killed between the decision and the routing change', async () => {
    const specialization = specs.crash;
    const env = {
      JWT_SECRET: TEST_JWT_SECRET,
      NW_API_URL: t.config.apiUrl,
      NW_THRESHOLDS_FILE: thresholdsFile,
      ALERT_WEBHOOK_URL: receiver.url,
      RELAYCORE_URL: relaycore.url,
    };
    let worker = await startWorkerProcess(t.config, env);
    const traffic = startTraffic(t, specialization, reader);
    try {
      const { primaryModel, backupDeployment, primaryDeployment } = await primaryAndBackup(specialization);
      await startWatchdog(specialization);
      // Hold the routing row: the switch activity blocks on it after the decision is in the history.
      const lock = await t.sequelize.transaction();
      await t.sequelize.query('SELECT 1 FROM routing WHERE specialization = $1 FOR UPDATE', {
        bind: [specialization],
        transaction: lock,
      });
      await fault(primaryModel.id);
      await eventually(
        () =>
          t.sequelize.query(
            `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%FROM "routing"%FOR UPDATE%'`,
            { type: QueryTypes.SELECT },
          ),
        (rows) => rows.length > 0,
        120_000,
      );
      await worker.kill('SIGKILL');
      await lock.commit();
      expect((await modelsOf(t.sequelize).Routing.findByPk(specialization))!.stableDeploymentId).toBe(
        primaryDeployment,
      );
      worker = await startWorkerProcess(t.config, env);
      await eventually(
        async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
        (r) => r.stableDeploymentId === backupDeployment,
        90_000,
      );
      const watchdogRouteCalls = () =>
        uniqueDeliveries(relaycore.calls).filter(
          (c) => c.path === `/api/routes/${specialization}` && c.headers['idempotency-key']?.startsWith('watchdog-'),
        );
      await eventually(
        async () => watchdogRouteCalls(),
        (c) => c.length === 1,
        30_000,
      );
      await eventually(
        () => alerts(specialization),
        (a) => a.length === 1,
      );
      expect(await switchEvents(specialization)).toHaveLength(1);
      expect((await alerts(specialization))[0]).toMatchObject({
        alert_class: 'performance-degraded',
        status: 'firing',
        count: 1,
      });
      await new Promise((r) => setTimeout(r, 2_000));
      expect(watchdogRouteCalls()).toHaveLength(1);
      await t.temporal.workflow.getHandle(`watchdog-${specialization}`).cancel();
    } finally {
      await traffic.stop();
      await worker.kill('SIGTERM');
    }
  });

  it('with autoRollback off waits for the rollback update; thresholds change through the API; state survives continue-as-new', async () => {
    const specialization = specs.manual;
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      const { primaryModel, backupModel, backupDeployment, primaryDeployment } = await primaryAndBackup(specialization);

      // A new thresholds version through the API; a bad one is refused with the field named.
      const current = await get<{
        version: number;
        thresholds: { defaults: object; specializations: Record<string, object> };
      }>('/api/v1/performance/thresholds');
      const bad = await t.app.request('/api/v1/performance/thresholds', {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({
          thresholds: { ...current.thresholds, defaults: { ...current.thresholds.defaults, minRequests: 0 } },
        }),
      });
      expect(bad.status).toBe(400);
      expect(
        ((await bad.json()) as { error: { details: { fields: { field: string }[] } } }).error.details.fields[0].field,
      ).toBe('body.thresholds.defaults.minRequests');
      const forbidden = await t.app.request('/api/v1/performance/thresholds', {
        method: 'PUT',
        headers: { ...writer, 'content-type': 'application/json' },
        body: JSON.stringify({ thresholds: current.thresholds }),
      });
      expect(forbidden.status).toBe(403);
      const next = {
        ...current.thresholds,
        specializations: {
          ...current.thresholds.specializations,
          [specialization]: { autoRollback: false, healthyToRecover: 2 },
        },
      };
      const saved = await t.app.request('/api/v1/performance/thresholds', {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ thresholds: next }),
      });
      expect(saved.status).toBe(200);
      const version = ((await saved.json()) as { version: number }).version;
      expect(version).toBeGreaterThan(current.version);

      // One window a run: every window is a run's last (the rollback below is asked in one).
      const handle = await startWatchdog(specialization, 1);
      await fault(primaryModel.id);
      await eventually(
        async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
        (r) => r.stableDeploymentId === backupDeployment,
        60_000,
      );
      const [event] = await switchEvents(specialization);
      expect(event).toMatchObject({ action: 'switch', to_model_id: backupModel.id, thresholds_version: version });

      // Nothing to roll back while the primary serves is a 409; here it is failed over, so the primary stays out until asked.
      expect(
        (await t.app.request(`/api/v1/admin/faults/${primaryModel.id}`, { method: 'DELETE', headers: admin })).status,
      ).toBe(204);
      const recovered = await eventually(
        () => handle.query('state'),
        (v) => (v as WatchdogStateView).recentWindows.slice(-3).every((w) => w.verdict.kind === 'healthy'),
        120_000,
      );
      expect((recovered as WatchdogStateView).serving).toBe('backup');
      expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId); // continued as new, failover carried over
      expect((await modelsOf(t.sequelize).Routing.findByPk(specialization))!.stableDeploymentId).toBe(backupDeployment);

      const scheduleLess = await t.app.request(
        `/api/v1/watchdogs/${specialization}/rollback`,
        json({ reason: 'fixed' }, admin),
      );
      expect(scheduleLess.status).toBe(404); // started without a schedule: the API manages scheduled watchdogs only
      // Asked while a run's last window is observed (its write held by a table lock taken here), the
      // rollback is carried over by continue-as-new and done by the next run, not dropped; held
      // there at the routing row (a second lock), it is under way while the workflow still serves the
      // backup, and a second rollback is refused, not accepted and dropped.
      const windows = await holdLock('LOCK TABLE watchdog_windows IN SHARE ROW EXCLUSIVE MODE');
      const routingRow = await holdLock('SELECT 1 FROM routing WHERE specialization = $1 FOR UPDATE', [specialization]);
      let carriedTo: string | undefined; // the run that took the rollback over
      try {
        await eventually(windows.waiting, (waiting) => waiting > 0, 30_000);
        const asked = (await handle.describe()).runId;
        await handle.executeUpdate('rollback', { args: [{ by: 'operator', reason: 'fixed' }] });
        await windows.release();
        await eventually(routingRow.waiting, (waiting) => waiting > 0, 30_000);
        const state = (await handle.query('state')) as WatchdogStateView;
        expect(state).toMatchObject({ serving: 'backup' });
        expect(state.runId).not.toBe(asked);
        carriedTo = state.runId;
        await expect(
          handle.executeUpdate('rollback', { args: [{ by: 'operator', reason: 'twice' }] }),
        ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/already under way/) } });
      } finally {
        await windows.release();
        await routingRow.release();
      }
      await eventually(
        async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
        (r) => r.stableDeploymentId === primaryDeployment,
        30_000,
      );
      expect((await switchEvents(specialization)).map((e) => e.action)).toEqual(['switch', 'rollback']);
      // The routing is back before the workflow has taken the activity's answer: until then a second
      // rollback is refused as under way, after it as having nothing to roll back.
      await eventually(
        () => handle.query('state'),
        (v) => (v as WatchdogStateView).serving === 'primary',
        30_000,
      );
      await expect(
        handle.executeUpdate('rollback', { args: [{ by: 'operator', reason: 'again' }] }),
      ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/nothing to roll back/) } });
      await eventually(
        () => alerts(specialization),
        (a) => a.length === 1 && a[0].status === 'resolved',
      );
      await traffic.stop();
      await recordHistory(handle, 'watchdog-manual-rollback-after-continue-as-new');
      await recordHistory(handle, 'watchdog-rollback-carried-over', { runId: carriedTo });
      await handle.cancel();
    });
  });

  it('is managed as a Temporal Schedule: listed, paused and resumed with its evaluation, deleted', async () => {
    const specialization = uniqueName('wd-sched');
    await withWorker(t.config, t.sequelize, async () => {
      expect((await t.app.request('/api/v1/watchdogs', json({ specialization: 'Not A Slug' }, admin))).status).toBe(
        400,
      );
      expect((await t.app.request('/api/v1/watchdogs', json({ specialization }, writer))).status).toBe(403);
      expect((await t.app.request('/api/v1/watchdogs', json({ specialization }, admin))).status).toBe(201);
      // Nothing is deployed yet: the watchdog runs and waits for a primary.
      await eventually(
        () => get<WatchdogView>(`/api/v1/watchdogs/${specialization}`),
        (v) => v.running && v.state?.lastEvaluatedAt !== null,
      );
      await eventually(
        () => get<{ items: { specialization: string }[] }>('/api/v1/watchdogs'),
        (l) => l.items.some((i) => i.specialization === specialization),
        30_000,
      );

      const paused = await t.app.request(`/api/v1/watchdogs/${specialization}/pause`, {
        method: 'POST',
        headers: admin,
      });
      expect(paused.status).toBe(200);
      await eventually(
        () => get<WatchdogView>(`/api/v1/watchdogs/${specialization}`),
        (v) => v.paused && v.state?.paused === true,
      );
      const resumed = await t.app.request(`/api/v1/watchdogs/${specialization}/resume`, {
        method: 'POST',
        headers: admin,
      });
      expect(resumed.status).toBe(200);
      await eventually(
        () => get<WatchdogView>(`/api/v1/watchdogs/${specialization}`),
        (v) => !v.paused && v.state?.paused === false,
      );

      // Incidents are evidence against production: admin or the reporter role, not any writer.
      const reporter = bearer(
        signToken(TEST_JWT_SECRET, {
          sub: 'monitoring',
          level: 'read',
          ttlSeconds: 600,
          roles: [{ name: REPORTER_ROLE, system: SYSTEM, permissions: ['report'] }],
        }),
      );
      const incident = await t.app.request(
        `/api/v1/watchdogs/${specialization}/incidents`,
        json({ requests: 10, errors: 11, reason: 'x' }, reporter),
      );
      expect(incident.status).toBe(400);
      expect(
        (
          await t.app.request(
            `/api/v1/watchdogs/${specialization}/incidents`,
            json({ requests: 10, errors: 10, reason: 'upstream burst' }, writer),
          )
        ).status,
      ).toBe(403);
      expect(
        (
          await t.app.request(
            `/api/v1/watchdogs/${specialization}/incidents`,
            json({ requests: 10, errors: 10, reason: 'upstream burst' }, reporter),
          )
        ).status,
      ).toBe(202);
      expect(
        (await t.app.request(`/api/v1/watchdogs/${specialization}/rollback`, json({ reason: 'nothing' }, admin)))
          .status,
      ).toBe(409);

      expect(
        (await t.app.request(`/api/v1/watchdogs/${specialization}`, { method: 'DELETE', headers: admin })).status,
      ).toBe(204);
      expect((await t.app.request(`/api/v1/watchdogs/${specialization}`, { headers: reader })).status).toBe(404);
      expect(
        (await t.app.request(`/api/v1/watchdogs/${specialization}/pause`, { method: 'POST', headers: admin })).status,
      ).toBe(404);
    });
  });

  it('raises watchdog-stalled for a watchdog that runs but does not evaluate, and resolves it once it does', async () => {
    const specialization = uniqueName('wd-stall');
    const { createActivities } = await import('../activities');
    const { activityDeps } = await import('../worker/create-worker');
    const activities = createActivities(activityDeps(t.sequelize, t.config, t.temporal));
    // Started on a queue no worker polls: "running", never evaluating, answering no query.
    const hung = await t.temporal.workflow.start(performanceWatchdog, {
      workflowId: `watchdog-${specialization}`,
      taskQueue: uniqueName('nobody-polls'),
      args: [{ specialization }],
    });
    // Just started, it has had no time to evaluate: no alarm yet (its first window takes an interval plus probes).
    expect(await activities.ensureWatchdogRunning({ specialization })).toEqual({ status: 'running' });
    expect(await alerts(specialization, true)).toEqual([]);
    // The next tick, a minute on, finds it still silent.
    const aMinuteOn = Date.now() + 60_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => aMinuteOn);
    const stalled = await activities.ensureWatchdogRunning({ specialization }).finally(() => clock.mockRestore());
    expect(stalled).toMatchObject({ status: 'stalled', alert: { status: 'firing', count: 1 } });
    expect(await alerts(specialization, true)).toMatchObject([{ alert_class: 'watchdog-stalled', status: 'firing' }]);
    await activities.deliverAlert(stalled.alert!);
    expect(
      receiver
        .distinct()
        .some(
          (r) =>
            r.body.alerts[0].labels.alertname === 'watchdog-stalled' &&
            r.body.alerts[0].labels.specialization === specialization,
        ),
    ).toBe(true);

    // An Update needs a worker to accept it: the API answers 503 within its deadline instead of hanging.
    expect((await t.app.request('/api/v1/watchdogs', json({ specialization }, admin))).status).toBe(201);
    const schedule = t.temporal.schedule.getHandle(`watchdog-${specialization}`);
    // The Schedule's first tick, triggered at once, waits for a worker this test has not started yet.
    const [pendingTick] = (
      await eventually(
        () => schedule.describe(),
        (d) => d.info.runningActions.length > 0,
      )
    ).info.runningActions;
    const refused = await t.app.request(
      `/api/v1/watchdogs/${specialization}/rollback`,
      json({ reason: 'nobody answers' }, admin),
    );
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(
      (await t.app.request(`/api/v1/watchdogs/${specialization}`, { method: 'DELETE', headers: admin })).status,
    ).toBe(204);
    // Deleting the watchdog stopped that tick too: no worker that comes later brings the watchdog back.
    const pending = t.temporal.workflow.getHandle(pendingTick.workflow.workflowId);
    expect((await pending.describe()).status.name).toBe('TERMINATED');
    await hung.terminate('test: replace the hung run');
    await withWorker(t.config, t.sequelize, async () => {
      const tick = (id: string) =>
        t.temporal.workflow.execute(superviseWatchdog, {
          workflowId: `${id}-${specialization}`,
          taskQueue: t.config.temporal.taskQueue,
          args: [{ specialization }],
        });
      // A tick that outlives its Schedule starts nothing.
      expect(await tick('supervise-orphan')).toBe('unscheduled');
      expect((await t.temporal.workflow.getHandle(`watchdog-${specialization}`).describe()).status.name).toBe(
        'TERMINATED',
      );

      // Watched again: the Schedule's first tick starts it. Later ticks run by hand, so the Schedule pauses.
      expect((await t.app.request('/api/v1/watchdogs', json({ specialization }, admin))).status).toBe(201);
      const [first] = (
        await eventually(
          () => schedule.describe(),
          (d) => d.info.recentActions.length > 0,
        )
      ).info.recentActions;
      await schedule.pause('test: the next ticks run by hand');
      const firstTick = t.temporal.workflow.getHandle(first.action.workflow.workflowId);
      expect(await firstTick.result()).toBe('started');
      await eventually(
        () => get<{ watchdog: WatchdogStateView | null }>(`/api/v1/performance/${specialization}/decisions`),
        (d) => d.watchdog?.lastEvaluatedAt != null,
      );
      // The next tick finds it evaluating and delivers the stall's resolution.
      expect(await tick('supervise-resolve')).toBe('running');
      expect(await alerts(specialization, true)).toMatchObject([
        { alert_class: 'watchdog-stalled', status: 'resolved' },
      ]);
      await eventually(
        async () =>
          receiver
            .distinct()
            .filter(
              (r) =>
                r.body.alerts[0].labels.alertname === 'watchdog-stalled' &&
                r.body.alerts[0].labels.specialization === specialization &&
                r.body.status === 'resolved',
            ),
        (r) => r.length === 1,
      );
      // After the stack was down a while, the first tick finds the last evaluation old while the
      // watchdog answers: a second look sees it evaluate, and no one is paged.
      const restarted = Date.now() + 60_000;
      const later = jest.spyOn(Date, 'now').mockImplementation(() => restarted);
      const afterRestart = await activities
        .ensureWatchdogRunning({ specialization })
        .finally(() => later.mockRestore());
      expect(afterRestart.status).toBe('running');
      expect(afterRestart.alert?.status).not.toBe('firing');
      expect(await alerts(specialization, true)).toMatchObject([
        { alert_class: 'watchdog-stalled', status: 'resolved' },
      ]);
      await recordHistory(firstTick, 'supervise-watchdog-started');
      await recordHistory(
        t.temporal.workflow.getHandle(`supervise-resolve-${specialization}`),
        'supervise-watchdog-resolved',
      );
      expect(
        (await t.app.request(`/api/v1/watchdogs/${specialization}`, { method: 'DELETE', headers: admin })).status,
      ).toBe(204);
    });
  });

  it('delivers a second incident of the same model and class under keys of its own', async () => {
    const specialization = uniqueName('wd-keys');
    const { createActivities } = await import('../activities');
    const { activityDeps } = await import('../worker/create-worker');
    const activities = createActivities(activityDeps(t.sequelize, t.config, t.temporal));
    const model = await registerServableModel(t, specialization);
    for (const incident of [1, 2]) {
      const raised = await activities.raiseAlert({
        alertClass: 'performance-degraded',
        specialization,
        modelId: model.id,
        severity: 'warning',
        summary: `incident ${incident}`,
        details: {},
        key: `keys-${incident}-raise`,
      });
      await activities.deliverAlert({ alertId: raised.alertId, status: 'firing', count: raised.count });
      const [resolved] = await activities.resolveAlerts({
        specialization,
        modelId: model.id,
        alertClass: 'performance-degraded',
        reason: 'recovered',
        key: `keys-${incident}-resolve`,
      });
      await activities.deliverAlert({ alertId: resolved.alertId, status: 'resolved', count: resolved.count });
    }
    const mine = receiver.received.filter((r) => r.body.alerts[0].labels.specialization === specialization);
    expect(mine.map((r) => r.body.status)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    // Both incidents share the fingerprint (count 1 each); a receiver that dedupes by key must still see all four.
    expect(new Set(mine.map((r) => r.body.alerts[0].fingerprint)).size).toBe(1);
    expect(new Set(mine.map((r) => r.idempotencyKey)).size).toBe(4);
  });

  it('holds a second switch within the cooldown while the primary keeps breaching', async () => {
    const specialization = specs.cooldown;
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      const { primaryModel, backupDeployment, primaryDeployment } = await primaryAndBackup(specialization);
      const handle = await startWatchdog(specialization);
      await fault(primaryModel.id);
      // This specialization's cooldown is 60 s: on a loaded machine a backup whose probes time out
      // is no fit candidate, and the watchdog looks again only after the cooldown.
      await eventually(
        async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
        (r) => r.stableDeploymentId === backupDeployment,
        150_000,
      );
      // The routing row changes inside the switch activity; the workflow takes the failover as done when that activity returns.
      await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.serving === 'backup',
        10_000,
      );
      // From here on a cooldown longer than the test, so the hold below cannot run out however slowly
      // windows pass on a loaded machine (60 s did: a third switch came before three breaches).
      const current = await get<{ thresholds: { specializations: Record<string, object> } }>(
        '/api/v1/performance/thresholds',
      );
      const longer = {
        ...current.thresholds,
        specializations: {
          ...current.thresholds.specializations,
          [specialization]: { autoRollback: false, cooldown: '600s' },
        },
      };
      const saved = await t.app.request('/api/v1/performance/thresholds', {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ thresholds: longer }),
      });
      expect(saved.status).toBe(200);
      const { version } = (await saved.json()) as { version: number };
      await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.thresholdsVersion === version,
        30_000,
      );
      // An operator switches back early (manual rollback is not held by the cooldown); the fault is still there.
      await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', reason: 'try the primary again' }] });
      await eventually(
        async () => (await modelsOf(t.sequelize).Routing.findByPk(specialization))!,
        (r) => r.stableDeploymentId === primaryDeployment,
        30_000,
      );
      const held = await eventually(
        () => handle.query(watchdogStateQuery),
        (v) => v.evaluation.breachStreak >= 3,
        60_000,
      );
      expect(held).toMatchObject({ serving: 'primary' });
      expect(held.evaluation.cooldownUntil * 1000).toBeGreaterThan(Date.now());
      expect((await switchEvents(specialization)).map((e) => e.action)).toEqual(['switch', 'rollback']);
      expect((await modelsOf(t.sequelize).Routing.findByPk(specialization))!.stableDeploymentId).toBe(
        primaryDeployment,
      );
      await traffic.stop();
      await recordHistory(handle, 'watchdog-cooldown-holds-second-switch');
      await handle.cancel();
    });
  });
});
