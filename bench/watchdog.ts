import { signToken } from '../auth/token';
import { modelsOf } from '../db/models';
import { deploymentRow, routeTo } from '../support/deployment-rows';
import { registerServableModel } from '../support/servable-model';
import { freePort } from '../support/ports';
import { startAlertReceiver } from '../support/alert-receiver';
import { writeThresholds } from '../support/thresholds-file';
import { startPerformanceWatchdog } from '../temporal/starters';
import { watchdogStateQuery } from '../workflows/watchdog/messages';
import { createWorkers } from '../worker/create-worker';
import { BENCH_SECRET, benchApp, startBenchStack } from './stack';
import { summarize, type Summary } from './stats';
import { serveApi } from '../api/server';

export interface WatchdogBench {
  evaluationIntervalSeconds: number;
  faultToDecisionMs: Summary;
  faultToDecisionWindows: Summary;
  decisionToRoutingMs: Summary;
  decisionToBackupTrafficMs: Summary;
  decisionToAlertDeliveredMs: Summary;
}

const INTERVAL_SECONDS = 1;

/**
 * A whole stack in this process (dev server, PostgreSQL, workers, the API on HTTP for probes, an
 * alert receiver) and `rounds` failovers: a primary and a backup serve live traffic, every request
 * to the primary starts failing, and the clock runs from the fault to the watchdog's decision, and
 * from the decision to the routing row, the first request answered by the backup and the alert
 * arriving at the webhook.
 */
export async function benchWatchdog({ rounds = 5 } = {}): Promise<WatchdogBench> {
  const receiver = await startAlertReceiver();
  const port = await freePort();
  const { config, sequelize, connection, temporal, close } = await startBenchStack({
    PORT: String(port),
    NW_ENABLE_FAULTS: '1',
    ALERT_WEBHOOK_URL: receiver.url,
    NW_THRESHOLDS_FILE: writeThresholds({ evaluationInterval: `${INTERVAL_SECONDS}s`, cooldown: '1s' }),
  });
  const api = benchApp({ config, sequelize, temporal });
  const server = serveApi(api.app.fetch, { port: config.port, hostname: '127.0.0.1' });
  const headers = {
    authorization: `Bearer ${signToken(BENCH_SECRET, { sub: 'bench', level: 'admin', ttlSeconds: 3600 })}`,
    'content-type': 'application/json',
  };
  const results = {
    faultToDecision: [] as number[],
    windows: [] as number[],
    routing: [] as number[],
    traffic: [] as number[],
    alert: [] as number[],
  };
  const workers = await createWorkers({ connection, temporal, sequelize, config });
  const running = workers.map((w) => w.run());
  try {
    for (let round = 0; round < rounds; round++) {
      const spec = `bench-wd-${round}`;
      const [backup, primary] = [
        await registerServableModel({ config, sequelize }, spec),
        await registerServableModel({ config, sequelize }, spec),
      ];
      const [backupDeployment, primaryDeployment] = await Promise.all(
        [backup, primary].map((m, i) =>
          deploymentRow(sequelize, spec, m, { status: i ? 'promoted' : 'superseded', by: 'bench' }),
        ),
      );
      await routeTo(sequelize, spec, { stable: primaryDeployment, backup: backupDeployment, by: 'bench' });

      // Steady traffic; remember when the backup first answers.
      let stopped = false;
      let firstBackupAnswer = 0;
      const lane = async () => {
        while (!stopped) {
          const res = await api.app.request(`/api/v1/inference/${spec}`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ input: 'I need brake pads for a 2019 Civic' }),
          });
          const body = (await res.json()) as { deploymentId?: string };
          if (res.ok && body.deploymentId === backupDeployment && !firstBackupAnswer) firstBackupAnswer = Date.now();
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      const lanes = [lane(), lane()];
      const handle = await startPerformanceWatchdog(temporal, config.temporal.taskQueue, spec);
      while (((await handle.query(watchdogStateQuery)).evaluation.healthyStreak ?? 0) < 2)
        await new Promise((r) => setTimeout(r, 100));

      const alertsBefore = receiver.received.length;
      const faultAt = Date.now();
      await api.app.request('/api/v1/admin/faults', {
        method: 'POST',
        headers,
        body: JSON.stringify({ modelId: primary.id, errorRate: 1, ttl: 600 }),
      });
      let routedAt = 0;
      while (!routedAt) {
        if ((await modelsOf(sequelize).Routing.findByPk(spec))?.stableDeploymentId === backupDeployment)
          routedAt = Date.now();
        else await new Promise((r) => setTimeout(r, 10));
      }
      const state = await handle.query(watchdogStateQuery);
      const decidedAt = Date.parse(state.lastDecision!.at);
      while (!firstBackupAnswer || receiver.received.length === alertsBefore)
        await new Promise((r) => setTimeout(r, 10));
      results.faultToDecision.push(decidedAt - faultAt);
      results.windows.push(state.recentWindows.filter((w) => Date.parse(w.at) > faultAt).length);
      results.routing.push(routedAt - decidedAt);
      results.traffic.push(firstBackupAnswer - decidedAt);
      results.alert.push(receiver.received[alertsBefore].at - decidedAt);
      stopped = true;
      await Promise.all(lanes);
      await handle.cancel();
    }
    return {
      evaluationIntervalSeconds: INTERVAL_SECONDS,
      faultToDecisionMs: summarize(results.faultToDecision),
      faultToDecisionWindows: summarize(results.windows),
      decisionToRoutingMs: summarize(results.routing),
      decisionToBackupTrafficMs: summarize(results.traffic),
      decisionToAlertDeliveredMs: summarize(results.alert),
    };
  } finally {
    // Also after a failed round: the workers let go of the connection before it closes.
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    server.close();
    await api.close();
    await receiver.close();
    await close();
  }
}
