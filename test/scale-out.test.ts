import { QueryTypes } from 'sequelize';
import { modelsOf } from '../db/models';
import type { DeployModelResult } from '../workflows/deploy-model';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { createTestApp, type TestApp } from './helpers/app';
import { TEST_JWT_SECRET, uniqueName } from './helpers/env';
import { bearer, tokenFor } from './helpers/tokens';
import { startTraffic, type TrafficReport } from './helpers/traffic';
import { eventually, makeDatasetsDir } from './helpers/training';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';
import { onAnotherMachine } from './helpers/machines';

/**
 * NeuroWeaver on more than one machine, simulated on one: two API replicas, two main workers and a
 * training worker, each a process with its own data directory, sharing PostgreSQL, the Temporal
 * server and an S3-compatible store. Machines die (SIGKILL) mid-training and mid-rollout, and
 * replacements start, as an orchestrator would do.
 */
describe('scale-out: replicas and workers die mid-work', () => {
  jest.setTimeout(420_000);
  let s3: S3TestServer;
  let control: TestApp;
  const processes: { kill(signal: NodeJS.Signals): Promise<void> }[] = [];
  const writer = bearer(tokenFor('admin', 'fleet-operator'));
  const reader = bearer(tokenFor('read', 'relaycore'));
  let env: Record<string, string>;
  const routed: string[] = [];

  const machine = () => onAnotherMachine(control.config);
  const api = async () => {
    const p = await startApiProcess(machine(), TEST_JWT_SECRET, env);
    processes.push(p);
    return p;
  };
  const worker = async (queues: 'main' | 'training', apiUrl: string) => {
    const w = await startWorkerProcess(machine(), { ...env, NW_WORKER_QUEUES: queues, NW_API_URL: apiUrl });
    processes.push(w);
    return w;
  };
  const call = async <T>(replica: ApiProcess, route: string, body?: object): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${replica.url}/api/v1${route}`, {
      method: body ? 'POST' : 'GET',
      headers: { ...writer, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  /** Requests to one replica over HTTP, as RelayCore would send them. */
  const trafficTo = (replica: ApiProcess, specialization: string) =>
    startTraffic({ app: { request: (route, init) => fetch(`${replica.url}${route}`, init) } }, specialization, reader);

  beforeAll(async () => {
    s3 = await startS3Server();
    const bucket = await s3.bucket(`nw-fleet-${Date.now()}`);
    env = s3.storeEnv(bucket, 'models');
    // For assertions only (the database and Temporal as every machine sees them); it serves nothing.
    control = await createTestApp({ ...env, NW_DATASETS_DIR: makeDatasetsDir() });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    // Unrouted again: the specializations of this file are not for other files' apps to find.
    if (control) await modelsOf(control.sequelize).Routing.destroy({ where: { specialization: routed } });
    await control?.close();
    await s3?.stop();
  });

  it('completes every job and rollout once, keeps answering and watching while machines die', async () => {
    const [apiA, apiB] = await Promise.all([api(), api()]);
    // Workers reach "the API" (watchdog probes) through B, standing in for a load balancer's address.
    const [main1, main2, trainer]: WorkerProcess[] = await Promise.all([
      worker('main', apiB.url),
      worker('main', apiB.url),
      worker('training', apiB.url),
    ]);
    void trainer;

    // Training: two jobs through different replicas; A and a main worker die while they run.
    const specialization = 'automotive-sales';
    const job = (replica: ApiProcess, name: string) =>
      call<{ jobId: string; workflowId: string }>(replica, '/training/jobs', {
        name,
        specialization,
        // Long enough (a few seconds of the builtin trainer) to be running when the machines die.
        hyperparameters: { epochs: 400 },
      });
    const [jobA, jobB] = await Promise.all([job(apiA, uniqueName('fleet-a')), job(apiB, uniqueName('fleet-b'))]);
    expect([jobA.status, jobB.status]).toEqual([202, 202]);
    await eventually(
      () => call<{ status: string }>(apiB, `/training/jobs/${jobA.body.jobId}`),
      (r) => r.body.status === 'running',
      60_000,
    );
    await Promise.all([apiA.kill('SIGKILL'), main1.kill('SIGKILL')]);
    const [apiC] = await Promise.all([api(), worker('main', apiB.url)]);
    const models: string[] = [];
    for (const started of [jobA, jobB]) {
      await control.temporal.workflow.getHandle(started.body.workflowId).result();
      const view = await call<{ status: string; modelId: string }>(apiC, `/training/jobs/${started.body.jobId}`);
      expect(view.body.status).toBe('completed');
      models.push(view.body.modelId);
    }
    // Once each: one registered version per job, whatever ran twice.
    const versions = await control.sequelize.query<{ job: string; n: string }>(
      `SELECT config->>'trainingJobId' AS job, count(*) AS n FROM models WHERE config->>'trainingJobId' = ANY($1) GROUP BY 1`,
      { bind: [[jobA.body.jobId, jobB.body.jobId]], type: QueryTypes.SELECT },
    );
    expect(versions.map((v) => Number(v.n))).toEqual([1, 1]);

    // Rollout: the first model serves, the second rolls out behind the gate; B and a worker die mid-rollout.
    const spec = uniqueName('fleet-spec');
    routed.push(spec);
    const analysis = { windowSeconds: 3, minRequests: 5, maxWindows: 4, maxP95LatencyMs: 30_000 };
    const deploy = (modelId: string, steps: number[], watch: boolean) =>
      call<{ deploymentId: string; workflowId: string }>(apiC, `/models/${modelId}/deploy`, {
        specialization: spec,
        steps,
        analysis,
        watch,
      });
    // Traffic from the start (the gate judges live requests); until the first model serves, a 404.
    const trafficC = trafficTo(apiC, spec);
    let trafficB: ReturnType<typeof trafficTo> | undefined = trafficTo(apiB, spec);
    let reportC: TrafficReport;
    let failuresBefore = 0;
    try {
      const first = await deploy(models[0], [100], false);
      expect(first.status).toBe(202);
      expect(await control.temporal.workflow.getHandle(first.body.workflowId).result()).toMatchObject({
        outcome: 'promoted',
      });
      await new Promise((r) => setTimeout(r, 2_000)); // within a routing poll, every replica serves it
      failuresBefore = trafficC.report.failures.length;
      const rollout = await deploy(models[1], [20, 60, 100], true);
      await eventually(
        () => call<{ decisions: { key: string }[] }>(apiC, `/deployments/${rollout.body.deploymentId}`),
        (r) => r.body.decisions.some((d) => d.key === 'step-2-started'),
        120_000,
      );
      const killedAt = new Date();
      await trafficB.stop();
      trafficB = undefined;
      await Promise.all([apiB.kill('SIGKILL'), main2.kill('SIGKILL')]);
      await worker('main', apiC.url);
      const result = (await control.temporal.workflow.getHandle(rollout.body.workflowId).result()) as DeployModelResult;
      expect(result).toMatchObject({ outcome: 'promoted' });
      const decisions = (
        await call<{ decisions: { key: string }[] }>(apiC, `/deployments/${rollout.body.deploymentId}`)
      ).body.decisions.map((d) => d.key);
      expect(decisions.filter((k, i) => decisions.indexOf(k) !== i)).toEqual([]); // each decision once
      expect(decisions).toEqual(expect.arrayContaining(['step-3-analysis', 'promoted', 'watched']));

      // The watchdog of the promoted model keeps judging windows after the machines died.
      await eventually(
        () =>
          control.sequelize.query<{ n: string }>(
            `SELECT count(*) AS n FROM watchdog_windows WHERE specialization = $1 AND window_end > $2`,
            { bind: [spec, killedAt], type: QueryTypes.SELECT },
          ),
        (rows) => Number(rows[0].n) >= 2,
        90_000,
      );
      // The watchdog and its Schedule go with this test's workers (other files share the cluster).
      const removed = await fetch(`${apiC.url}/api/v1/watchdogs/${spec}`, { method: 'DELETE', headers: writer });
      expect(removed.status).toBe(204);
      await eventually(
        async () => (await control.temporal.workflow.getHandle(`watchdog-${spec}`).describe()).status.name,
        (status) => status !== 'RUNNING',
        30_000,
      );
    } finally {
      await trafficB?.stop();
      reportC = await trafficC.stop();
    }
    // The surviving replica answered every request once the first model served, while the others died.
    expect(reportC.total).toBeGreaterThan(50);
    expect(reportC.failures.slice(failuresBefore)).toEqual([]);
  });
});
