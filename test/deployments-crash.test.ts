import { modelsOf } from '../db/models';
import type { Decision, DeployModelResult } from '../workflows/deploy-model';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { registerServableModel } from '../support/servable-model';
import { bearer, tokenFor } from './helpers/tokens';
import { startTraffic } from './helpers/traffic';
import { eventually } from './helpers/training';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

describe('a worker killed mid-rollout', () => {
  jest.setTimeout(240_000);
  let t: TestApp;
  const workers: WorkerProcess[] = [];
  // A fast, latency-tolerant gate is weaker than the shipped gate policy: an admin's choice, recorded as the rollout's first decision.
  const operator = bearer(tokenFor('admin', 'operator'));
  const reader = bearer(tokenFor('read', 'caller'));

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await t.close();
  });

  it('resumes the rollout where it was and leaves routing consistent', async () => {
    const specialization = uniqueName('spec');
    const [stable, next] = await Promise.all([1, 2].map(() => registerServableModel(t, specialization)));
    workers.push(await startWorkerProcess(t.config));
    const traffic = startTraffic(t, specialization, reader);
    // Latency is not what this test is about: a busy CI machine must not roll the rollout back.
    const analysis = { windowSeconds: 3, minRequests: 5, maxWindows: 3, maxP95LatencyMs: 30_000 };
    try {
      const deploy = async (modelId: string, steps: number[]) =>
        (await (
          await t.app.request(
            `/api/v1/models/${modelId}/deploy`,
            json({ specialization, steps, analysis, watch: false }, operator),
          )
        ).json()) as { deploymentId: string; workflowId: string };
      const first = await deploy(stable.id, [100]);
      await t.temporal.workflow.getHandle(first.workflowId).result();

      const rollout = await deploy(next.id, [20, 60, 100]);
      await eventually(
        () => modelsOf(t.sequelize).Routing.findByPk(specialization),
        (r) => r?.canaryDeploymentId === rollout.deploymentId && r.canaryWeight === 60,
        60_000,
      );
      await workers[0].kill('SIGKILL');
      workers.push(await startWorkerProcess(t.config));

      const result = (await t.temporal.workflow.getHandle(rollout.workflowId).result()) as DeployModelResult;
      expect(result).toMatchObject({ outcome: 'promoted' });
      expect(await modelsOf(t.sequelize).Routing.findByPk(specialization)).toMatchObject({
        stableDeploymentId: rollout.deploymentId,
        backupDeploymentId: first.deploymentId,
        canaryDeploymentId: null,
        canaryWeight: 0,
      });
      const decisions = (await modelsOf(t.sequelize).Deployment.findByPk(rollout.deploymentId))!
        .decisions as Decision[];
      const keys = decisions.map((d) => d.key);
      // Every decision once, in order, even those whose activity ran again after the crash.
      expect(keys).toEqual([
        'gate',
        'staged',
        'step-1-started',
        'step-1-analysis',
        'step-2-started',
        'step-2-analysis',
        'step-3-started',
        'step-3-analysis',
        'promoted',
        'watched',
      ]);
      expect(decisions.at(-1)?.message).toBe('the deploy request asked for no watchdog (watch: false)');
    } finally {
      await traffic.stop();
    }
  });
});
