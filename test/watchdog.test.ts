import { QueryTypes } from 'sequelize';
import { Routing } from '../db/models';
import { freePort } from './helpers/ports';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { recordHistory } from './helpers/histories';
import { registerServableModel } from './helpers/models';
import { startRelayCoreEmulator, uniqueDeliveries, type RelayCoreEmulator } from './helpers/relaycore';
import { bearer, tokenFor } from './helpers/tokens';
import { startTraffic } from './helpers/traffic';
import { eventually } from './helpers/training';
import { serveApp, startAlertReceiver, writeThresholds } from './helpers/watchdog';
import { withWorker } from './helpers/worker';
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

  beforeAll(async () => {
    relaycore = await startRelayCoreEmulator();
    receiver = await startAlertReceiver();
    const port = String(await freePort());
    t = await createTestApp({
      NW_ENABLE_FAULTS: '1',
      RELAYCORE_URL: relaycore.url,
      ALERT_WEBHOOK_URL: receiver.url,
      NW_THRESHOLDS_FILE: writeThresholds({}),
      PORT: port,
    });
    stopServing = serveApp(t);
  });
  afterAll(async () => {
    await stopServing();
    await t.close();
    await relaycore.close();
    await receiver.close();
  });

  const get = async <T>(path: string, headers = reader): Promise<T> => {
    const res = await t.app.request(path, { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const deployAndWait = async (modelId: string, specialization: string, steps: number[]) => {
    const res = await t.app.request(`/api/v1/models/${modelId}/deploy`, json({ specialization, steps, analysis }, writer));
    expect(res.status).toBe(202);
    const { deploymentId, workflowId } = (await res.json()) as { deploymentId: string; workflowId: string };
    expect(await t.temporal.workflow.getHandle(workflowId).result()).toMatchObject({ outcome: 'promoted' });
    return deploymentId;
  };
  const switchEvents = (specialization: string) =>
    t.sequelize.query<{ action: string; from_model_id: string; to_model_id: string; thresholds_version: number; reason: string }>(
      'SELECT action, from_model_id, to_model_id, thresholds_version, reason FROM model_switch_events WHERE specialization = $1 ORDER BY created_at',
      { bind: [specialization], type: QueryTypes.SELECT },
    );
  const alerts = (specialization: string) =>
    t.sequelize.query<{ alert_class: string; status: string; model_id: string; count: number; fingerprint: string }>(
      'SELECT alert_class, status, model_id, count, fingerprint FROM performance_alerts WHERE specialization = $1 ORDER BY first_seen',
      { bind: [specialization], type: QueryTypes.SELECT },
    );

  it('switches to the backup when the primary fails, alerts once, tells RelayCore once, and switches back when it recovers', async () => {
    const specialization = uniqueName('wd');
    const backupModel = await registerServableModel(t.config.modelStoragePath, specialization);
    const primaryModel = await registerServableModel(t.config.modelStoragePath, specialization);

    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      const backupDeployment = await deployAndWait(backupModel.id, specialization, [100]);
      const primaryDeployment = await deployAndWait(primaryModel.id, specialization, [100]);
      expect(await Routing.findByPk(specialization)).toMatchObject({ stableDeploymentId: primaryDeployment, backupDeploymentId: backupDeployment });

      // The Schedule's first tick starts the watchdog; it watches the new primary.
      const created = await t.app.request('/api/v1/watchdogs', json({ specialization }, admin));
      expect(created.status).toBe(201);
      expect((await t.app.request('/api/v1/watchdogs', json({ specialization }, admin))).status).toBe(409);
      const watching = await eventually(
        () => get<WatchdogView>(`/api/v1/watchdogs/${specialization}`),
        (v) => (v.state?.recentWindows.filter((w) => w.verdict.kind === 'healthy').length ?? 0) >= 2,
      );
      expect(watching.state).toMatchObject({ primaryDeploymentId: primaryDeployment, serving: 'primary' });
      relaycore.calls.length = 0;

      // Every request to the primary fails: two breaching windows trip it.
      const faultAt = Date.now();
      expect((await t.app.request('/api/v1/admin/faults', json({ modelId: primaryModel.id, errorRate: 1, ttl: 600 }, admin))).status).toBe(201);
      await eventually(async () => (await Routing.findByPk(specialization))!, (r) => r.stableDeploymentId === backupDeployment, 60_000);
      const switchedAt = Date.now();
      const routing = await Routing.findByPk(specialization);
      expect(routing).toMatchObject({ stableDeploymentId: backupDeployment, backupDeploymentId: primaryDeployment, failoverFromDeploymentId: primaryDeployment });

      // Traffic is served by the backup from now on.
      const servedBefore = traffic.report.byDeployment[backupDeployment] ?? 0;
      await eventually(async () => traffic.report.byDeployment[backupDeployment] ?? 0, (n) => n >= servedBefore + 10, 10_000);

      const events = await switchEvents(specialization);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'switch', from_model_id: primaryModel.id, to_model_id: backupModel.id });
      expect(events[0].thresholds_version).toBeGreaterThan(0);
      expect(events[0].reason).toMatch(/breaching windows in a row.*error rate/);

      const firing = await eventually(() => alerts(specialization), (a) => a.length === 1);
      expect(firing[0]).toMatchObject({ alert_class: 'performance-degraded', status: 'firing', model_id: primaryModel.id, count: 1 });
      const fired = await eventually(async () => receiver.distinct().filter((r) => r.body.status === 'firing'), (r) => r.length === 1);
      expect(fired[0].body.alerts[0]).toMatchObject({ fingerprint: firing[0].fingerprint, labels: { alertname: 'performance-degraded', specialization, model_id: primaryModel.id } });
      const routeCalls = () => uniqueDeliveries(relaycore.calls).filter((c) => c.path === `/api/routes/${specialization}`);
      await eventually(async () => routeCalls(), (c) => c.length === 1);
      expect(routeCalls()[0].body).toMatchObject({ modelId: backupModel.id });

      const decisions = await get<{ switchEvents: unknown[]; watchdog: WatchdogStateView }>(`/api/v1/performance/${specialization}/decisions`);
      expect(decisions.switchEvents).toHaveLength(1);
      expect(decisions.watchdog).toMatchObject({ serving: 'backup', backupDeploymentId: backupDeployment, lastDecision: { action: 'switch' } });
      const alertList = await get<{ items: { id: string; status: string }[] }>(`/api/v1/alerts?specialization=${specialization}&status=open`);
      expect(alertList.items).toHaveLength(1);
      const ack = await t.app.request(`/api/v1/alerts/${alertList.items[0].id}/acknowledge`, { method: 'POST', headers: writer });
      expect(((await ack.json()) as { status: string }).status).toBe('acknowledged');

      // The fault is lifted: the probes find the primary healthy; after 3 healthy windows (and the cooldown) it serves again.
      expect((await t.app.request(`/api/v1/admin/faults/${primaryModel.id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
      await eventually(async () => (await Routing.findByPk(specialization))!, (r) => r.stableDeploymentId === primaryDeployment, 60_000);
      expect(await Routing.findByPk(specialization)).toMatchObject({ failoverFromDeploymentId: null, backupDeploymentId: backupDeployment });
      expect((await switchEvents(specialization)).map((e) => e.action)).toEqual(['switch', 'rollback']);
      await eventually(() => alerts(specialization), (a) => a.length === 1 && a[0].status === 'resolved');
      await eventually(async () => receiver.distinct().filter((r) => r.body.status === 'resolved'), (r) => r.length === 1);
      await eventually(async () => routeCalls(), (c) => c.length === 2);
      expect(routeCalls()[1].body).toMatchObject({ modelId: primaryModel.id });

      const report = await traffic.stop();
      // Only requests of the tripped windows failed: no failure after the switch took effect.
      expect(report.total).toBeGreaterThan(50);
      if (process.env.DEBUG_WATCHDOG) console.log({ decisionAfterFaultMs: switchedAt - faultAt, report });

      await recordHistory(t.temporal.workflow.getHandle(`watchdog-${specialization}`), 'watchdog-trip-and-recover');
      // Deleting the watchdog stops its schedule and the workflow; routing stays as it is.
      expect((await t.app.request(`/api/v1/watchdogs/${specialization}`, { method: 'DELETE', headers: admin })).status).toBe(204);
      await expect(t.temporal.workflow.getHandle(`watchdog-${specialization}`).result()).rejects.toThrow();
      expect((await t.app.request(`/api/v1/watchdogs/${specialization}`, { headers: reader })).status).toBe(404);
    });
  });
});
