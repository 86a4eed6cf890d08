import { modelsOf } from '../db/models';
import type { DeployModelResult } from '../workflows/deploy-model';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { recordHistory } from './helpers/histories';
import { registerServableModel } from '../support/servable-model';
import { startRelayCoreEmulator, type RelayCoreEmulator } from './helpers/relaycore';
import { bearer, tokenFor } from './helpers/tokens';
import { startTraffic } from './helpers/traffic';
import { eventually, startJob } from './helpers/training';
import { withWorker } from './helpers/worker';

interface Started {
  deploymentId: string;
  workflowId: string;
}

describe('deployModel under live inference traffic', () => {
  jest.setTimeout(240_000);
  let t: TestApp;
  let relaycore: RelayCoreEmulator;
  const writer = bearer(tokenFor('write', 'deployer'));
  const admin = bearer(tokenFor('admin', 'operator'));
  const reader = bearer(tokenFor('read', 'relaycore'));
  // Generous latency bound: these rollouts are judged on errors; a busy CI machine must not fail them.
  const analysis = { windowSeconds: 2, minRequests: 5, maxWindows: 3, maxP95LatencyMs: 30_000 };

  beforeAll(async () => {
    relaycore = await startRelayCoreEmulator();
    t = await createTestApp({ NW_ENABLE_FAULTS: '1', RELAYCORE_URL: relaycore.url });
  });
  afterAll(async () => {
    await t.close();
    await relaycore.close();
  });

  // These rollouts are about the gate, not the watchdog: no watchdog is scheduled beside them.
  // A fast, latency-tolerant gate is weaker than the shipped gate policy: an admin's choice, recorded as the rollout's first decision.
  const deploy = async (modelId: string, body: object): Promise<Started> => {
    const res = await t.app.request(`/api/v1/models/${modelId}/deploy`, json({ watch: false, ...body }, admin));
    expect(res.status).toBe(202);
    return (await res.json()) as Started;
  };
  const result = async (s: Started) => {
    const r = (await t.temporal.workflow.getHandle(s.workflowId).result()) as DeployModelResult;
    if (process.env.DEBUG_DEPLOY) console.log('DEPLOY', s.deploymentId, r.outcome, r.reason);
    return r;
  };
  const delivered = (path: string) =>
    relaycore.calls.filter((c) => c.path === path && !c.duplicate && c.status !== null && c.status < 300);

  it('promotes a good model step by step, rolls back a failing one at its first step, and keeps RelayCore told', async () => {
    const specialization = uniqueName('spec');
    const first = await registerServableModel(t, specialization);
    const second = await registerServableModel(t, specialization);
    const faulty = await registerServableModel(t, specialization);

    await withWorker(t.config, t.sequelize, async () => {
      // First model: nothing to compare with, one step at 100 %, traffic from the start.
      const traffic = startTraffic(t, specialization, reader);
      const one = await deploy(first.id, { specialization, analysis });
      expect((await result(one)).outcome).toBe('promoted');

      // Second model through every step while the first serves.
      const two = await deploy(second.id, { specialization, steps: [20, 60, 100], analysis });
      const promoted = await result(two);
      await recordHistory(t.temporal.workflow.getHandle(two.workflowId), 'deployment-promoted');
      expect(promoted).toMatchObject({ outcome: 'promoted' });
      expect(
        promoted.decisions.filter((d) => d.kind === 'step-analysis').map((d) => [d.weight, d.analysis!.passed]),
      ).toEqual([
        [20, true],
        [60, true],
        [100, true],
      ]);
      expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toMatchObject({
        stableDeploymentId: two.deploymentId,
        backupDeploymentId: one.deploymentId,
        canaryDeploymentId: null,
      });
      const view = (await (
        await t.app.request(`/api/v1/deployments/${two.deploymentId}`, { headers: writer })
      ).json()) as { status: string; decisions: { analysis?: { requests: number } }[] };
      expect(view.status).toBe('promoted');
      expect(view.decisions.filter((d) => d.analysis).every((d) => d.analysis!.requests >= 5)).toBe(true);

      // Inference answers from the promoted model.
      const answer = await t.app.request(
        `/api/v1/inference/${specialization}`,
        json({ input: 'I need new brake pads for a 2019 Civic' }, reader),
      );
      expect(((await answer.json()) as { modelId: string }).modelId).toBe(second.id);

      // A failing model: every request to it errors; it is rolled back at the first step.
      const fault = await t.app.request(
        '/api/v1/admin/faults',
        json({ modelId: faulty.id, errorRate: 1, ttl: 600 }, admin),
      );
      expect(fault.status).toBe(201);
      const before = { ...traffic.report.byStatus };
      // Earlier failures are the 503s of the first seconds, before anything was deployed.
      const failuresBefore = traffic.report.failures.length;
      const three = await deploy(faulty.id, { specialization, steps: [10, 50, 100], analysis });
      const rolledBack = await result(three);
      await recordHistory(t.temporal.workflow.getHandle(three.workflowId), 'deployment-rolled-back-errors');
      expect(rolledBack.outcome).toBe('rolled_back');
      expect(rolledBack.reason).toMatch(
        /^step 1 \(10%\) failed: error rate 100\.0% of \d+ over 1 window \(99\.99% sure\); from \d+ live requests/,
      );
      const report = await traffic.stop();
      // Only the canary's share failed: every failed request was served by the canary track.
      const failures = report.failures.slice(failuresBefore);
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.every((f) => f.status === 502 && f.track === 'canary')).toBe(true);
      expect((report.byStatus[200] ?? 0) - (before[200] ?? 0)).toBeGreaterThan(failures.length);
      expect(report.failures.slice(0, failuresBefore).every((f) => f.status === 503)).toBe(true);
      expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toMatchObject({
        stableDeploymentId: two.deploymentId,
        canaryDeploymentId: null,
        canaryWeight: 0,
      });
      expect((await modelsOf(t.sequelize).Deployment.findByPk(three.deploymentId))!.status).toBe('rolled_back');
    });

    // RelayCore heard of each promotion exactly once (deployed + route), never of the rollback.
    expect(delivered(`/api/models/${first.id}/deployed`)).toHaveLength(1);
    expect(delivered(`/api/models/${second.id}/deployed`)).toHaveLength(1);
    expect(delivered(`/api/routes/${specialization}`).map((c) => (c.body as { modelId: string }).modelId)).toEqual([
      first.id,
      second.id,
    ]);
    expect(delivered(`/api/models/${faulty.id}/deployed`)).toHaveLength(0);
    expect(delivered(`/api/models/${faulty.id}/performance`).length).toBe(1);
    expect(relaycore.calls.every((c) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(c.headers.traceparent ?? ''))).toBe(
      true,
    );
  });

  it('waits for approval; promotes when approved, rolls back or promotes when the deadline passes, as the policy says', async () => {
    const specialization = uniqueName('spec');
    const models = await Promise.all([1, 2, 3, 4].map(() => registerServableModel(t, specialization)));
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      try {
        await result(await deploy(models[0].id, { specialization, analysis }));
        const gated = await deploy(models[1].id, {
          specialization,
          steps: [50, 100],
          analysis,
          requireApproval: true,
          approvalTimeoutSeconds: 600,
        });
        for (let i = 0; i < 100 && !(await modelsOf(t.sequelize).Deployment.findByPk(gated.deploymentId)); i++)
          await new Promise((r) => setTimeout(r, 50));
        // Approving too early is refused by the workflow's validator.
        const early = await t.app.request(`/api/v1/deployments/${gated.deploymentId}/approve`, json({}, writer));
        expect(early.status).toBe(409);
        for (let i = 0; i < 300; i++) {
          const live = (
            (await (await t.app.request(`/api/v1/deployments/${gated.deploymentId}`, { headers: writer })).json()) as {
              live: { stage: string } | null;
            }
          ).live;
          if (live?.stage === 'awaiting-approval') break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const approve = await t.app.request(
          `/api/v1/deployments/${gated.deploymentId}/approve`,
          json({ comment: 'looks good' }, writer),
        );
        expect(approve.status).toBe(200);
        const approved = await result(gated);
        expect(approved.outcome).toBe('promoted');
        expect(approved.decisions.find((d) => d.kind === 'approval')!.message).toBe('approved by deployer: looks good');
        await recordHistory(t.temporal.workflow.getHandle(gated.workflowId), 'deployment-approved');

        const timed = await deploy(models[2].id, {
          specialization,
          steps: [100],
          analysis,
          requireApproval: true,
          approvalTimeoutSeconds: 2,
          onApprovalTimeout: 'rollback',
        });
        const expired = await result(timed);
        await recordHistory(t.temporal.workflow.getHandle(timed.workflowId), 'deployment-approval-timeout');
        expect(expired).toMatchObject({ outcome: 'rolled_back', reason: 'approval deadline passed (2 s)' });
        expect((await modelsOf(t.sequelize).Routing.findByPk(specialization))!.stableDeploymentId).toBe(
          gated.deploymentId,
        );

        // A rollout whose owner chose "promote" on timeout promotes once the deadline passes, and says so.
        const lenient = await deploy(models[3].id, {
          specialization,
          steps: [100],
          analysis,
          requireApproval: true,
          approvalTimeoutSeconds: 2,
          onApprovalTimeout: 'promote',
        });
        const promoted = await result(lenient);
        await recordHistory(t.temporal.workflow.getHandle(lenient.workflowId), 'deployment-approval-timeout-promoted');
        expect(promoted.outcome).toBe('promoted');
        expect(promoted.decisions.find((d) => d.kind === 'approval')!.message).toBe(
          'no approval within 2 s: policy promote',
        );
        expect((await modelsOf(t.sequelize).Routing.findByPk(specialization))!).toMatchObject({
          stableDeploymentId: lenient.deploymentId,
          backupDeploymentId: gated.deploymentId,
        });
      } finally {
        await traffic.stop();
      }
    });
  });

  it('ends a rollout whose RelayCore calls are refused (4xx): each refusal recorded, nothing wedged', async () => {
    const specialization = uniqueName('spec');
    const [first, second] = [
      await registerServableModel(t, specialization),
      await registerServableModel(t, specialization),
    ];
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      try {
        relaycore.setMode('reject');
        const started = await deploy(first.id, { specialization, analysis });
        const outcome = await result(started);
        await recordHistory(t.temporal.workflow.getHandle(started.workflowId), 'deployment-promoted-relaycore-rejects');
        expect(outcome.outcome).toBe('promoted');
        const refused = outcome.decisions.filter((d) => d.kind === 'undeliverable').map((d) => d.message);
        expect(refused).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^RelayCore step-1-performance: undeliverable: 400 RelayCore PUT .* answered 400: /),
            expect.stringMatching(/^RelayCore deployed: undeliverable: 400 /),
            expect.stringMatching(/^RelayCore route: undeliverable: 400 /),
          ]),
        );
        expect(refused).toHaveLength(3);
        // The specialization is free for the next rollout at once.
        relaycore.setMode('ok');
        expect((await result(await deploy(second.id, { specialization, steps: [100], analysis }))).outcome).toBe(
          'promoted',
        );
      } finally {
        relaycore.setMode('ok');
        await traffic.stop();
      }
    });
  });

  it('delivers the RelayCore calls of a promotion once RelayCore is back, without losing the rollout', async () => {
    const specialization = uniqueName('spec');
    const model = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      try {
        relaycore.setMode('down');
        const started = await deploy(model.id, { specialization, analysis });
        // The rollout goes on: traffic moves to the model while RelayCore is unreachable.
        for (
          let i = 0;
          i < 200 &&
          (await modelsOf(t.sequelize).Routing.findByPk(specialization))?.stableDeploymentId !== started.deploymentId;
          i++
        )
          await new Promise((r) => setTimeout(r, 100));
        expect((await modelsOf(t.sequelize).Routing.findByPk(specialization))!.stableDeploymentId).toBe(
          started.deploymentId,
        );
        expect((await t.temporal.workflow.getHandle(started.workflowId).describe()).status.name).toBe('RUNNING');
        relaycore.setMode('ok');
        expect((await result(started)).outcome).toBe('promoted');
      } finally {
        relaycore.setMode('ok');
        await traffic.stop();
      }
    });
    expect(delivered(`/api/models/${model.id}/deployed`)).toHaveLength(1);
    expect(delivered(`/api/routes/${specialization}`)).toHaveLength(1);
  });

  it("rolls a training job's model out when the job asks for autoDeploy, approved through the API", async () => {
    const specialization = uniqueName('autodeploy');
    await withWorker(t.config, t.sequelize, async () => {
      const traffic = startTraffic(t, specialization, reader);
      const job = await startJob(t, admin, {
        name: uniqueName('auto'),
        specialization,
        hyperparameters: { epochs: 4 },
        autoDeploy: true,
        deploy: { steps: [100], analysis, watch: false, requireApproval: true, approvalTimeoutSeconds: 600 },
      });
      const trained = (await t.temporal.workflow.getHandle(job.workflowId).result()) as {
        modelId: string;
        autoDeploy: { started: boolean; deploymentId: string; workflowId: string };
      };
      expect(trained.autoDeploy).toMatchObject({ started: true, workflowId: `deployment-${specialization}` });
      // The rollout a job started is approved like any other (the API finds it by its memo).
      const approve = async () =>
        t.app.request(
          `/api/v1/deployments/${trained.autoDeploy.deploymentId}/approve`,
          json({ comment: 'looks good' }, writer),
        );
      // 404 until the rollout has written its deployment row, 409 until it waits for approval.
      const approved = await eventually(approve, (r) => r.status !== 409 && r.status !== 404, 90_000);
      expect(approved.status).toBeLessThan(300);
      const rollout = await result({
        deploymentId: trained.autoDeploy.deploymentId,
        workflowId: trained.autoDeploy.workflowId,
      });
      expect(rollout.outcome).toBe('promoted');
      const answer = await t.app.request(
        `/api/v1/inference/${specialization}`,
        json({ input: 'I need new brake pads for a 2019 Civic' }, reader),
      );
      expect(((await answer.json()) as { modelId: string }).modelId).toBe(trained.modelId);
      await traffic.stop();
      await recordHistory(t.temporal.workflow.getHandle(job.workflowId), 'training-auto-deploy');
      await recordHistory(
        t.temporal.workflow.getHandle(trained.autoDeploy.workflowId),
        'deployment-auto-deploy-approved',
      );

      // The rollout is listed by specialization, status and model; its last decision says where it stands.
      const listed = async (query: string) =>
        (await (await t.app.request(`/api/v1/deployments?${query}`, { headers: reader })).json()) as {
          items: { id: string; status: string; lastDecision: { kind: string } | null }[];
          total: number;
        };
      const bySpecialization = await listed(`specialization=${specialization}`);
      expect(bySpecialization).toMatchObject({
        total: 1,
        items: [{ id: trained.autoDeploy.deploymentId, status: 'promoted', lastDecision: { kind: 'watched' } }],
      });
      expect((await listed(`modelId=${trained.modelId}&status=promoted`)).items.map((d) => d.id)).toEqual([
        trained.autoDeploy.deploymentId,
      ]);
      expect(await listed(`specialization=${specialization}&status=rolled_back`)).toMatchObject({
        total: 0,
        items: [],
      });

      // Its lineage: the job that trained it (dataset, hyperparameters) → this version → the rollout.
      const lineage = await t.app.request(`/api/v1/models/${trained.modelId}/lineage`, { headers: reader });
      expect(lineage.status).toBe(200);
      expect(await lineage.json()).toMatchObject({
        model: { id: trained.modelId, specialization },
        trainingJob: {
          id: job.jobId,
          status: 'completed',
          modelId: trained.modelId,
          config: { dataset: 'automotive-queries', hyperparameters: { epochs: 4 } },
          workflowId: job.workflowId,
        },
        deployments: [{ id: trained.autoDeploy.deploymentId, status: 'promoted', createdBy: 'operator' }],
        switchEvents: [],
        alerts: [],
      });
      const paths = Object.keys(
        ((await (await t.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> }).paths,
      );
      expect(paths).toEqual(expect.arrayContaining(['/api/v1/deployments', '/api/v1/models/{id}/lineage']));
      expect((await t.app.request('/api/v1/deployments?status=live', { headers: reader })).status).toBe(400);
      expect((await t.app.request(`/api/v1/models/${crypto.randomUUID()}/lineage`, { headers: reader })).status).toBe(
        404,
      );
    });
  });
});
