import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { modelsOf } from '../db/models';
import { createTestApp, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { torchAvailable } from './helpers/python';
import { getJob, makeDatasetsDir, startJob } from './helpers/training';
import { bearer, tokenFor } from './helpers/tokens';
import { withWorker } from './helpers/worker';

// .ci/run installs torch (pip install -r trainers/torch/requirements.txt); elsewhere it may be absent.
const withTorch = torchAvailable() ? it : it.skip;
const run = promisify(execFile);

describe('the PyTorch trainer', () => {
  jest.setTimeout(240_000);
  let t: TestApp;
  const writer = bearer(tokenFor('write', 'torch-user'));

  beforeAll(async () => {
    t = await createTestApp({ NW_DATASETS_DIR: makeDatasetsDir() });
  });
  afterAll(() => t.close());

  withTorch('passes its own unit tests (featurizer parity with TypeScript, contract, resume)', async () => {
    const root = path.resolve(__dirname, '..');
    const { stderr } = await run(
      process.env.NW_PYTHON ?? 'python3',
      ['-m', 'unittest', 'discover', '-s', 'trainers/torch', '-p', 'test_*.py'],
      { cwd: root, timeout: 180_000 },
    );
    expect(stderr).toMatch(/\nOK/);
  });

  withTorch('trains through the pipeline on CPU and registers an ONNX model that serves', async () => {
    const name = uniqueName('torch');
    await withWorker(t.config, t.sequelize, async () => {
      const job = await startJob(t, writer, {
        name,
        specialization: 'parts-specialist',
        trainer: 'torch',
        hyperparameters: { epochs: 6 },
      });
      await t.temporal.workflow.getHandle(job.workflowId).result();
      const view = await getJob(t, writer, job.jobId);
      expect(view.status).toBe('completed');
      expect(view.metrics.holdoutAccuracy).toBeGreaterThan(0.8);
      expect(view.metrics.training!.device).toBe('cpu');
      const model = (await modelsOf(t.sequelize).ModelRecord.findByPk(view.modelId!))!;
      expect(model.version).toBe('1');
      const manifest = JSON.parse(
        fs.readFileSync(path.join(t.config.modelStoragePath, String(model.config!.manifestPath)), 'utf8'),
      );
      expect(manifest).toMatchObject({ trainer: 'torch', device: 'cpu', input: 'features', output: 'probabilities' });
      const session = await ort.InferenceSession.create(path.join(t.config.modelStoragePath, model.modelPath!));
      expect(session.outputNames).toEqual(['probabilities']);
      await session.release();
    });
  });
});
