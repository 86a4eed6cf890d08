import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config/env';
import { modelsOf, type ModelRecord } from '../db/models';
import { uniqueName } from './names';

const ROOT = path.resolve(__dirname, '..');
let trained: Promise<string> | undefined;

/**
 * A real classifier trained once per test file by the builtin trainer on the shipped dataset. The
 * trainer runs as a child the event loop does not wait on: this process also runs an API, a worker
 * and their database pools, and a loop blocked for the seconds a training takes on a loaded host
 * let pg's 5 s connect timeout expire on connections the server had already answered.
 */
function trainedArtifactDir(): Promise<string> {
  trained ??= trainFixture().catch((err: unknown) => {
    trained = undefined; // the next call tries again
    throw err;
  });
  return trained;
}

async function trainFixture(): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'nw-model-'));
  const job = {
    jobId: 'fixture',
    datasetDir: path.join(ROOT, 'datasets', 'automotive-queries'),
    outputDir: path.join(dir, 'out'),
    checkpointDir: path.join(dir, 'ckpt'),
    labelField: 'specialization',
    hyperparameters: { epochs: 15 },
  };
  await fs.promises.writeFile(path.join(dir, 'job.json'), JSON.stringify(job));
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'trainers/builtin/main.ts'), path.join(dir, 'job.json')],
    { cwd: ROOT },
  );
  return path.join(dir, 'out');
}

/** Registers a servable model (artifact + manifest copied into storage); `broken` writes garbage instead. */
export async function registerServableModel(
  { config, sequelize }: { config: Pick<Config, 'modelStoragePath'>; sequelize: Sequelize },
  specialization: string,
  { broken = false } = {},
): Promise<ModelRecord> {
  const storagePath = config.modelStoragePath;
  const name = uniqueName('served');
  const relative = path.join(name, '1');
  const dir = path.join(storagePath, relative);
  const trainedDir = await trainedArtifactDir();
  fs.mkdirSync(dir, { recursive: true });
  if (broken) {
    fs.writeFileSync(path.join(dir, 'model.onnx'), 'not an onnx model');
    fs.copyFileSync(path.join(trainedDir, 'manifest.json'), path.join(dir, 'manifest.json'));
  } else {
    for (const f of ['model.onnx', 'manifest.json']) fs.copyFileSync(path.join(trainedDir, f), path.join(dir, f));
  }
  return modelsOf(sequelize).ModelRecord.create({
    name,
    description: null,
    specialization,
    baseModel: 'hashed-ngrams-softmax',
    version: '1',
    modelPath: path.join(relative, 'model.onnx'),
    config: { manifestPath: path.join(relative, 'manifest.json'), dataset: 'automotive-queries' },
    performanceMetrics: null,
    deploymentConfig: null,
    createdBy: 'test',
  });
}
