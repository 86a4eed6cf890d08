import { modelsOf } from '../db/models';
import type { DeployModelResult } from '../workflows/deploy-model';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { recordHistory } from './helpers/histories';
import { registerServableModel } from '../support/servable-model';
import { bearer, tokenFor } from './helpers/tokens';
import { withWorker } from './helpers/worker';
import { freePort } from '../support/ports';
import { serveApp } from './helpers/watchdog';

interface Started {
  deploymentId: string;
  workflowId: string;
  webUiUrl: string;
}

describe('deployModel without traffic', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  const writer = bearer(tokenFor('write', 'deployer'));
  // Window timing is not strength: within the shipped gate policy, as a write token may ask.
  const fast = { windowSeconds: 1, maxWindows: 3 };

  beforeAll(async () => {
    // The API answers the canary's probes on PORT only in the test that serves it.
    t = await createTestApp({ PORT: String(await freePort()) });
  });
  afterAll(() => t.close());

  const deploy = async (modelId: string, body: object) => {
    const res = await t.app.request(`/api/v1/models/${modelId}/deploy`, json(body, writer));
    return {
      status: res.status,
      body: (await res.json()) as Started & { error?: { code: string; details: Record<string, string> } },
    };
  };
  const result = (started: Started) =>
    t.temporal.workflow.getHandle(started.workflowId).result() as Promise<DeployModelResult>;

  it('fails a model that cannot be loaded before it gets any traffic', async () => {
    const specialization = uniqueName('spec');
    const model = await registerServableModel(t, specialization, { broken: true });
    await withWorker(t.config, t.sequelize, async () => {
      const started = await deploy(model.id, { specialization, analysis: fast });
      expect(started.status).toBe(202);
      const outcome = await result(started.body);
      expect(outcome.outcome).toBe('failed');
      expect(outcome.reason).toMatch(/^the model cannot be served/);
      await recordHistory(t.temporal.workflow.getHandle(started.body.workflowId), 'deployment-failed-staging');
    });
    const deployment = await modelsOf(t.sequelize).Deployment.findByPk(
      (await modelsOf(t.sequelize).Deployment.findOne({ where: { specialization } }))!.id,
    );
    expect(deployment!.status).toBe('failed');
    expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toBeNull();
  });

  it('gives a specialization without traffic its first model on probes through the serving path', async () => {
    const specialization = uniqueName('spec');
    const model = await registerServableModel(t, specialization);
    const stopServing = serveApp(t);
    try {
      await withWorker(t.config, t.sequelize, async () => {
        const started = await deploy(model.id, { specialization, analysis: fast });
        const outcome = await result(started.body);
        await recordHistory(t.temporal.workflow.getHandle(started.body.workflowId), 'deployment-promoted-on-probes');
        expect(outcome).toMatchObject({ outcome: 'promoted' });
        const analysis = outcome.decisions.find((d) => d.kind === 'step-analysis')!.analysis!;
        expect(analysis).toMatchObject({ passed: true, liveRequests: 0, insufficientData: false });
        expect(analysis.probeRequests).toBeGreaterThanOrEqual(100);
        expect(analysis.labelled).toBeGreaterThanOrEqual(95);
        // Without live traffic the step's p95 is the probes' (shown; the verdict is on `slow`).
        expect(analysis.p95LatencyMs).toEqual(expect.any(Number));
        expect(outcome.decisions.find((d) => d.kind === 'step-analysis')!.message).toMatch(
          /from 0 live requests and \d+ probes \(\d+ labelled\)$/,
        );
      });
    } finally {
      await stopServing();
    }
    expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toMatchObject({
      stableDeploymentId: expect.any(String),
    });
    // Watched by default; the Schedule would outlive this file's worker.
    expect(
      (
        await t.app.request(`/api/v1/watchdogs/${specialization}`, {
          method: 'DELETE',
          headers: bearer(tokenFor('admin', 'operator')),
        })
      ).status,
    ).toBe(204);
  });

  it('rolls back when neither traffic nor probes give evidence: no data is not success', async () => {
    const specialization = uniqueName('spec');
    const model = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      const started = await deploy(model.id, { specialization, analysis: fast });
      const outcome = await result(started.body);
      await recordHistory(t.temporal.workflow.getHandle(started.body.workflowId), 'deployment-rolled-back-no-data');
      expect(outcome.outcome).toBe('rolled_back');
      expect(outcome.reason).toBe(
        'step 1 (100%) failed: insufficient data: 0 requests < 20 (0 live requests and 0 probes (0 labelled); the probes failed too)',
      );
      const view = (await (
        await t.app.request(`/api/v1/deployments/${started.body.deploymentId}`, { headers: writer })
      ).json()) as { status: string; decisions: { kind: string }[] };
      expect(view.status).toBe('rolled_back');
      expect(view.decisions.map((d) => d.kind)).toEqual([
        'gate',
        'staged',
        'step-started',
        'step-analysis',
        'rolled-back',
      ]);
    });
    const routing = await modelsOf(t.sequelize).Routing.findByPk(specialization);
    expect(routing).toMatchObject({ stableDeploymentId: null, canaryDeploymentId: null, canaryWeight: 0 });
  });

  it('allows one rollout per specialization (409 with the running workflow) and aborts on request', async () => {
    const specialization = uniqueName('spec');
    const model = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      const first = await deploy(model.id, { specialization, analysis: { windowSeconds: 60, maxWindows: 1 } });
      expect(first.status).toBe(202);
      const second = await deploy(model.id, { specialization });
      expect(second.status).toBe(409);
      expect(second.body.error?.details).toMatchObject({
        workflowId: `deployment-${specialization}`,
        deploymentId: first.body.deploymentId,
      });
      // Wait until the canary is in traffic, then abort.
      for (
        let i = 0;
        i < 100 && !(await modelsOf(t.sequelize).Routing.findByPk(specialization))?.canaryDeploymentId;
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
      const abort = await t.app.request(
        `/api/v1/deployments/${first.body.deploymentId}/abort`,
        json({ reason: 'wrong model' }, writer),
      );
      expect(abort.status).toBe(202);
      const outcome = await result(first.body);
      await recordHistory(t.temporal.workflow.getHandle(first.body.workflowId), 'deployment-aborted');
      expect(outcome).toMatchObject({ outcome: 'aborted', reason: 'aborted by deployer: wrong model' });
      const again = await t.app.request(`/api/v1/deployments/${first.body.deploymentId}/abort`, json({}, writer));
      expect(again.status).toBe(409);
    });
    expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toMatchObject({
      canaryDeploymentId: null,
      canaryWeight: 0,
    });
  });

  it.each([
    [{ steps: [10, 50] }, 'body.steps'],
    [{ steps: [50, 10, 100] }, 'body.steps'],
    [{ analysis: { maxErrorRate: 2 } }, 'body.analysis.maxErrorRate'],
    [{ requireApproval: 'yes' }, 'body.requireApproval'],
  ])('rejects %j with 400 naming %s', async (override, field) => {
    const model = await registerServableModel(t, 'automotive-sales');
    const res = await deploy(model.id, { specialization: uniqueName('spec'), ...override });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(field);
  });

  it('answers 404 for an unknown model or deployment', async () => {
    expect((await deploy('00000000-0000-4000-8000-000000000000', { specialization: 'x' })).status).toBe(404);
    expect(
      (await t.app.request('/api/v1/deployments/00000000-0000-4000-8000-000000000000', { headers: writer })).status,
    ).toBe(404);
  });
});
