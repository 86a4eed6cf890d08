import { modelsOf } from '../db/models';
import type { Decision, DeployModelResult } from '../workflows/deployment-types';
import { approveUpdate } from '../workflows/deploy-model';
import { BUILT_IN_GATE } from '../workflows/gate-policy';
import { createIsolatedDatabase, createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { recordHistory } from './helpers/histories';
import { registerServableModel } from '../support/servable-model';
import { freePort } from '../support/ports';
import { bearer, tokenFor } from './helpers/tokens';
import { eventually } from './helpers/training';
import { serveApp, writeThresholds } from './helpers/watchdog';
import { withWorker } from './helpers/worker';

/**
 * Issue #15 (2): the health gate is the server's. A `write` caller may ask for a stricter gate than
 * the specialization's policy, never a weaker one; an admin may, and the rollout's log opens with
 * who chose what. Four-eyes: whoever deployed does not approve.
 */
describe('the gate policy through the API (worker, dev server, the API serving probes)', () => {
  jest.setTimeout(240_000);
  let t: TestApp;
  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let stopServing: () => Promise<void>;
  const deployer = bearer(tokenFor('write', 'deployer'));
  const reviewer = bearer(tokenFor('write', 'reviewer'));
  const operator = bearer(tokenFor('admin', 'operator'));
  // Window timing is not strength: a short window keeps the test short without weakening the gate.
  const quick = { windowSeconds: 1, maxWindows: 20 };
  const strict = uniqueName('gate-strict');

  beforeAll(async () => {
    // Its own database: the thresholds (and so the gate policy) in force are per database.
    database = await createIsolatedDatabase();
    t = await createTestApp({
      DATABASE_URL: database.url,
      NW_THRESHOLDS_FILE: writeThresholds({}, { [strict]: { gate: { requireApproval: true, steps: [20, 100] } } }),
      PORT: String(await freePort()),
    });
    stopServing = serveApp(t);
  });
  afterAll(async () => {
    await stopServing();
    await t.close();
    await database.drop();
  });

  const deploy = async (modelId: string, body: object, headers: Record<string, string>) => {
    const res = await t.app.request(`/api/v1/models/${modelId}/deploy`, json(body, headers));
    return {
      status: res.status,
      body: (await res.json()) as {
        deploymentId: string;
        workflowId: string;
        error?: { message: string; details: { fields: { field: string; message: string }[]; policyVersion: number } };
      },
    };
  };
  const view = async (deploymentId: string) =>
    (await (await t.app.request(`/api/v1/deployments/${deploymentId}`, { headers: deployer })).json()) as {
      status: string;
      config: Record<string, unknown>;
      decisions: Decision[];
      live: { stage: string } | null;
    };

  it('refuses a write token a weaker gate (403 naming each field) and starts nothing', async () => {
    const specialization = uniqueName('gate-weak');
    const model = await registerServableModel(t, specialization);
    const res = await deploy(
      model.id,
      { specialization, steps: [100], analysis: { ...quick, minRequests: 3, maxP95LatencyMs: 30_000 }, watch: false },
      deployer,
    );
    expect(res.status).toBe(403);
    expect(res.body.error!.message).toMatch(/weaker than the gate policy .* needs admin/);
    expect(res.body.error!.details.fields.map((f) => f.field)).toEqual([
      'body.steps',
      'body.analysis.maxP95LatencyMs',
      'body.analysis.minRequests',
    ]);
    expect(await modelsOf(t.sequelize).Deployment.count({ where: { specialization } })).toBe(0);
    await expect(t.temporal.workflow.getHandle(`deployment-${specialization}`).describe()).rejects.toThrow();
  });

  it('refuses a write token a model registered for another specialization', async () => {
    const model = await registerServableModel(t, uniqueName('gate-home'));
    const res = await deploy(model.id, { specialization: uniqueName('gate-away') }, deployer);
    expect(res.status).toBe(403);
    expect(res.body.error!.details.fields).toEqual([expect.objectContaining({ field: 'body.specialization' })]);
  });

  it('refuses a write token a training job whose autoDeploy asks for a weaker gate, and creates no job', async () => {
    const name = uniqueName('gate-train');
    const res = await t.app.request(
      '/api/v1/training/jobs',
      json(
        {
          name,
          specialization: uniqueName('gate-train'),
          autoDeploy: true,
          deploy: { steps: [100], analysis: { minRequests: 3 } },
        },
        deployer,
      ),
    );
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { details: { fields: { field: string }[] } } };
    expect(body.error.details.fields.map((f) => f.field)).toEqual([
      'body.deploy.steps',
      'body.deploy.analysis.minRequests',
    ]);
    expect(await modelsOf(t.sequelize).TrainingJob.count({ where: { name } })).toBe(0);
  });

  it('lets an admin weaken the gate, and the log opens with who chose what', async () => {
    const specialization = uniqueName('gate-admin');
    const model = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      const res = await deploy(
        model.id,
        { specialization, steps: [100], analysis: { ...quick, minRequests: 3, maxP95LatencyMs: 30_000 }, watch: false },
        operator,
      );
      expect(res.status).toBe(202);
      expect(await t.temporal.workflow.getHandle(res.body.workflowId).result()).toMatchObject({ outcome: 'promoted' });
      const d = await view(res.body.deploymentId);
      expect(d.decisions[0]).toMatchObject({ key: 'gate', kind: 'gate' });
      expect(d.decisions[0].message).toMatch(
        /^gate chosen by operator \(admin\) weaker than the gate policy \(thresholds v\d+\) for .*: steps \[100\] \(policy \[10,50,100\]\); analysis\.maxP95LatencyMs 30000 \(policy 250\); analysis\.minRequests 3 \(policy 20\)$/,
      );
      expect(d.config.gate).toMatchObject({
        chosenBy: 'operator',
        level: 'admin',
        weakened: [{ field: 'steps' }, { field: 'analysis.maxP95LatencyMs' }, { field: 'analysis.minRequests' }],
      });
      expect(d.decisions.map((x) => x.kind)).toEqual([
        'gate',
        'staged',
        'step-started',
        'step-analysis',
        'promoted',
        'watched',
      ]);
    });
  });

  it("gives a write token the specialization's policy for what it leaves out, and four eyes approve", async () => {
    const model = await registerServableModel(t, strict);
    await withWorker(t.config, t.sequelize, async () => {
      const res = await deploy(model.id, { specialization: strict, analysis: quick, watch: false }, deployer);
      expect(res.status).toBe(202);
      const started = await view(res.body.deploymentId);
      expect(started.config).toMatchObject({
        steps: [20, 100],
        requireApproval: true,
        onApprovalTimeout: 'rollback',
        fourEyes: true,
        analysis: { ...BUILT_IN_GATE.analysis, ...quick },
      });
      expect(started.decisions[0].message).toMatch(/^gate chosen by deployer \(write\) within the gate policy/);
      await eventually(
        () => view(res.body.deploymentId),
        (d) => d.live?.stage === 'awaiting-approval',
        120_000,
      );

      const own = await t.app.request(`/api/v1/deployments/${res.body.deploymentId}/approve`, json({}, deployer));
      expect(own.status).toBe(403);
      expect(((await own.json()) as { error: { message: string } }).error.message).toMatch(
        /^four-eyes: deployer deployed this rollout/,
      );
      // Around the API (an operator with the Temporal CLI): the workflow refuses it too.
      await expect(
        t.temporal.workflow.getHandle(res.body.workflowId).executeUpdate(approveUpdate, { args: [{ by: 'deployer' }] }),
      ).rejects.toThrow();

      const other = await t.app.request(
        `/api/v1/deployments/${res.body.deploymentId}/approve`,
        json({ comment: 'looked at the numbers' }, reviewer),
      );
      expect(other.status).toBe(200);
      const outcome = (await t.temporal.workflow.getHandle(res.body.workflowId).result()) as DeployModelResult;
      expect(outcome.outcome).toBe('promoted');
      expect(outcome.decisions.find((x) => x.kind === 'approval')!.message).toBe(
        'approved by reviewer: looked at the numbers',
      );
      await recordHistory(t.temporal.workflow.getHandle(res.body.workflowId), 'deployment-four-eyes-approved');
    });
  });
});
