import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { alive, privateStartEnv, start, stop } from './helpers/npm-start';
import { writeTinyOnnxModel } from './helpers/onnx';

describe('npm start', () => {
  jest.setTimeout(240_000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-start-'));
    env = await privateStartEnv(dataDir);
    writeTinyOnnxModel(path.join(dataDir, 'models', 'demo', 'model.onnx'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('runs the whole platform, stops it cleanly, and keeps its data across restarts', async () => {
    const api = `http://127.0.0.1:${env.PORT}`;
    const first = await start(env);
    let modelId: string;
    try {
      expect(first.output.join('\n')).toContain(`Temporal UI:   http://localhost:${env.NW_TEMPORAL_UI_PORT}`);
      expect(first.output.join('\n')).toContain(
        `RelayCore:     http://127.0.0.1:${env.RELAYCORE_EMULATOR_PORT}   (emulator`,
      );
      expect(Object.keys(first.pids).sort()).toEqual(['api', 'db', 'temporal', 'worker']);
      const ui = await fetch(`http://127.0.0.1:${env.NW_TEMPORAL_UI_PORT}/`);
      expect(ui.status).toBe(200);
      // The console, built from its sources by npm start, behind the sign-in link it printed.
      expect(first.output.join('\n')).toContain(`Console:       http://localhost:${env.PORT}/#token=${first.token}`);
      const consolePage = await fetch(`${api}/`);
      expect(consolePage.status).toBe(200);
      expect(await consolePage.text()).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);

      const auth = { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' };
      const registered = await fetch(`${api}/api/v1/models/register`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          name: 'demo',
          specialization: 'parts-specialist',
          baseModel: 'tiny',
          version: '1',
          modelPath: 'demo/model.onnx',
        }),
      });
      expect(registered.status).toBe(201);
      modelId = ((await registered.json()) as { id: string }).id;
      const started = await fetch(`${api}/api/v1/models/${modelId}/validate`, { method: 'POST', headers: auth });
      expect(started.status).toBe(202);
      let status = '';
      for (let i = 0; i < 120 && status !== 'validated'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        status = (
          (await (await fetch(`${api}/api/v1/models/${modelId}`, { headers: auth })).json()) as { status: string }
        ).status;
      }
      expect(status).toBe('validated');

      // A training job on the running platform ends as a new model version in the registry.
      const job = await fetch(`${api}/api/v1/training/jobs`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          name: 'demo-router',
          specialization: 'automotive-sales',
          hyperparameters: { epochs: 6 },
        }),
      });
      expect(job.status).toBe(202);
      const { jobId } = (await job.json()) as { jobId: string };
      let view = { status: '', modelId: '' };
      for (let i = 0; i < 240 && !['completed', 'failed', 'cancelled'].includes(view.status); i++) {
        await new Promise((r) => setTimeout(r, 250));
        view = (await (await fetch(`${api}/api/v1/training/jobs/${jobId}`, { headers: auth })).json()) as typeof view;
      }
      expect(view.status).toBe('completed');
      const trained = (await (await fetch(`${api}/api/v1/models/${view.modelId}`, { headers: auth })).json()) as {
        name: string;
        version: string;
      };
      expect(trained).toMatchObject({ name: 'demo-router', version: '1' });

      // …which deploys behind the health gate and then answers inference.
      const inference = () =>
        fetch(`${api}/api/v1/inference/automotive-sales`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ input: 'Can I book a test drive of the new RAV4 on Saturday?' }),
        });
      const deployed = await fetch(`${api}/api/v1/models/${view.modelId}/deploy`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          specialization: 'automotive-sales',
          analysis: { windowSeconds: 2, minRequests: 3, maxP95LatencyMs: 30_000 },
        }),
      });
      expect(deployed.status).toBe(202);
      const { deploymentId } = (await deployed.json()) as { deploymentId: string };
      let deployment = { status: '', reason: '' as string | null };
      for (let i = 0; i < 200 && !['promoted', 'rolled_back', 'failed', 'aborted'].includes(deployment.status); i++) {
        await inference(); // live traffic for the analysis window
        await new Promise((r) => setTimeout(r, 100));
        deployment = (await (
          await fetch(`${api}/api/v1/deployments/${deploymentId}`, { headers: auth })
        ).json()) as typeof deployment;
      }
      expect(deployment).toMatchObject({ status: 'promoted', reason: null });
      const answer = (await (await inference()).json()) as { modelId: string; output: { label: string } };
      expect(answer.modelId).toBe(view.modelId);
      expect(answer.output.label).toBe('automotive-sales');
    } finally {
      expect(await stop(first, 'ctrl-c')).toBe(0);
    }
    for (const [name, pid] of Object.entries(first.pids)) expect([name, alive(pid)]).toEqual([name, false]);
    expect(fs.existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);

    const second = await start(env);
    try {
      const res = await fetch(`${api}/api/v1/models/${modelId}`, {
        headers: { authorization: `Bearer ${second.token}` },
      });
      expect(((await res.json()) as { status: string }).status).toBe('validated');
      const connection = await Connection.connect({ address: `127.0.0.1:${env.NW_TEMPORAL_PORT}` });
      // The history survived in temporal.db. If the stop came between the last activity and the
      // workflow's final task, the restarted worker finishes it now.
      const handle = new Client({ connection }).workflow.getHandle(`validation-${modelId}`);
      try {
        expect(await handle.result()).toMatchObject({ modelId, valid: true });
        expect((await handle.describe()).status.name).toBe('COMPLETED');
      } finally {
        await connection.close();
      }
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
