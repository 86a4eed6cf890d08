import { randomBytes } from 'node:crypto';
import { signToken } from '../auth/token';
import { resolveJwtSecret } from '../config/dev-secret';
import { loadConfigOrExit } from '../config/load';

/**
 * `npm run demo` against a running `NW_ENABLE_FAULTS=1 npm start`: the watchdog's whole story
 * through the public API. Trains two models, deploys them to a new specialization (the second is
 * the primary, the first its backup), sends traffic, starts a watchdog, breaks the primary (fault
 * injection), and shows the switch, the alert, the recovery and the switch back: in the API, the
 * Temporal Web UI and the alert webhook (the RelayCore emulator's sink in local runs).
 */
const config = loadConfigOrExit();
const base = `http://127.0.0.1:${config.port}`;
const token = signToken(resolveJwtSecret(config), {
  sub: 'demo',
  level: 'admin',
  ttlSeconds: 3600,
  ...config.jwtParty,
});
const specialization = `demo-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 180_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(500);
  }
}

async function train(name: string): Promise<string> {
  const job = await call<{ jobId: string }>('POST', '/api/v1/training/jobs', { name, specialization });
  const done = await waitFor(
    `training ${name}`,
    () =>
      call<{ status: string; modelId: string | null; errorMessage: string | null }>(
        'GET',
        `/api/v1/training/jobs/${job.jobId}`,
      ),
    (j) => ['completed', 'failed', 'cancelled'].includes(j.status),
  );
  if (done.status !== 'completed' || !done.modelId)
    throw new Error(`training ${name} ${done.status}: ${done.errorMessage}`);
  say(`trained ${name}: model ${done.modelId}`);
  return done.modelId;
}

async function deploy(modelId: string): Promise<string> {
  const started = await call<{ deploymentId: string; workflowId: string }>('POST', `/api/v1/models/${modelId}/deploy`, {
    specialization,
    steps: [100],
    analysis: { windowSeconds: 2, minRequests: 5, maxWindows: 10, maxP95LatencyMs: 5_000 },
  });
  await waitFor(
    'the rollout',
    () => call<{ status: string }>('GET', `/api/v1/deployments/${started.deploymentId}`),
    (d) => !['staging', 'rolling_out'].includes(d.status),
  );
  const d = await call<{ status: string; reason: string | null }>('GET', `/api/v1/deployments/${started.deploymentId}`);
  if (d.status !== 'promoted') throw new Error(`deployment ${d.status}: ${d.reason}`);
  say(`deployed model ${modelId} (deployment ${started.deploymentId}, workflow ${started.workflowId})`);
  return started.deploymentId;
}

function startTraffic() {
  const tally = new Map<string, number>();
  let stopped = false;
  const inputs = [
    'I need brake pads for a 2019 Civic',
    'Can I book an oil change on Friday?',
    'Any certified pre-owned SUVs under 30k?',
  ];
  const lane = async (n: number) => {
    for (let i = n; !stopped; i += 4) {
      const res = await fetch(`${base}/api/v1/inference/${specialization}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: inputs[i % inputs.length] }),
      });
      const body = (await res.json()) as { modelId?: string };
      const key = res.ok ? `model ${body.modelId}` : `HTTP ${res.status}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      await sleep(40);
    }
  };
  const lanes = [0, 1, 2, 3].map(lane);
  return {
    snapshot: () => {
      const out = Object.fromEntries(tally);
      tally.clear();
      return out;
    },
    stop: async () => {
      stopped = true;
      await Promise.all(lanes);
    },
  };
}

interface WatchdogView {
  webUiUrl: string;
  state: {
    serving: string;
    evaluation: { breachStreak: number; healthyStreak: number };
    lastDecision: { action: string; reason: string } | null;
  } | null;
}

async function main(): Promise<void> {
  await fetch(`${base}/health`).catch(() => {
    throw new Error(`no NeuroWeaver answers at ${base}: run \`NW_ENABLE_FAULTS=1 npm start\` first`);
  });
  say(`specialization ${specialization}`);
  const backupModel = await train(`${specialization}-a`);
  const primaryModel = await train(`${specialization}-b`);
  const traffic = startTraffic();
  try {
    await deploy(backupModel);
    await deploy(primaryModel);

    // Fast windows for this specialization: a new thresholds version, recorded with every decision.
    const current = await call<{
      version: number;
      thresholds: { defaults: object; specializations: Record<string, object> };
    }>('GET', '/api/v1/performance/thresholds');
    const saved = await call<{ version: number }>('PUT', '/api/v1/performance/thresholds', {
      thresholds: {
        ...current.thresholds,
        specializations: {
          ...current.thresholds.specializations,
          [specialization]: {
            evaluationInterval: '2s',
            minRequests: 10,
            breachesToTrip: 2,
            healthyToRecover: 3,
            cooldown: '10s',
          },
        },
      },
    });
    say(
      `thresholds version ${saved.version}: 2 s windows, trip after 2 breaches, recover after 3 healthy windows, 10 s cooldown`,
    );

    const watchdog = await call<WatchdogView>('POST', '/api/v1/watchdogs', { specialization });
    say(`watchdog scheduled; Web UI: ${watchdog.webUiUrl}`);
    await waitFor(
      'the first evaluations',
      () => call<WatchdogView>('GET', `/api/v1/watchdogs/${specialization}`),
      (v) => (v.state?.evaluation.healthyStreak ?? 0) >= 2,
    );
    say(`primary healthy; traffic: ${JSON.stringify(traffic.snapshot())}`);

    await call('POST', '/api/v1/admin/faults', { modelId: primaryModel, errorRate: 0.6, ttl: 600 });
    say(`FAULT: 60 % of the primary's requests now fail`);
    const switched = await waitFor(
      'the switch',
      () => call<WatchdogView>('GET', `/api/v1/watchdogs/${specialization}`),
      (v) => v.state?.serving === 'backup',
    );
    say(`SWITCHED to the backup: ${switched.state!.lastDecision!.reason}`);
    await sleep(2_000);
    const firing = await call<{
      items: { alertClass: string; status: string; count: number; summary: string; deliveredStatus: string | null }[];
    }>('GET', `/api/v1/alerts?specialization=${specialization}`);
    say(
      `alert: ${JSON.stringify(firing.items.map((a) => ({ class: a.alertClass, status: a.status, count: a.count, delivered: a.deliveredStatus })))}`,
    );
    say(`traffic since the fault: ${JSON.stringify(traffic.snapshot())}`);

    await call('DELETE', `/api/v1/admin/faults/${primaryModel}`);
    say(
      'fault lifted: the watchdog probes the primary until it has been healthy long enough (and the cooldown is over)',
    );
    const back = await waitFor(
      'the switch back',
      () => call<WatchdogView>('GET', `/api/v1/watchdogs/${specialization}`),
      (v) => v.state?.serving === 'primary',
    );
    say(`SWITCHED BACK: ${back.state!.lastDecision!.reason}`);
    await sleep(2_000);
    const decisions = await call<{ switchEvents: { action: string; reason: string; thresholdsVersion: number }[] }>(
      'GET',
      `/api/v1/performance/${specialization}/decisions`,
    );
    say(`switch events: ${JSON.stringify(decisions.switchEvents.map((e) => [e.action, e.thresholdsVersion]))}`);
    const resolved = await call<{ items: { status: string; deliveredStatus: string | null }[] }>(
      'GET',
      `/api/v1/alerts?specialization=${specialization}`,
    );
    say(
      `alert now: ${JSON.stringify(resolved.items.map((a) => ({ status: a.status, delivered: a.deliveredStatus })))}`,
    );
    say(`traffic since the fault was lifted: ${JSON.stringify(traffic.snapshot())}`);
    if (config.relaycoreUrl === undefined)
      say(`webhook deliveries (local runs): http://127.0.0.1:${config.relaycoreEmulator.port}/__emulator/calls`);
    say(`the watchdog keeps running: ${back.webUiUrl}`);
  } finally {
    await traffic.stop();
  }
}

main().catch((err) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exit(1);
});
