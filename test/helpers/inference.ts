import fs from 'node:fs';
import path from 'node:path';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { createTemporalClient } from '../../api/temporal-client';
import { createLogger } from '../../config/logger';
import { openDatabase } from '../../db/connection';
import { modelsOf } from '../../db/models';
import { DEFAULT_FEATURIZER, fnv1a32 } from '../../ml/features';
import { classifierToOnnx } from '../../ml/onnx-classifier';
import { TEST_JWT_SECRET, testConfig, uniqueName } from './env';
import { createStores } from '../../db/stores';

export const LABELS = ['automotive-sales', 'parts-specialist', 'service-advisor'];

/** Words that push a query towards each label in the models written below. */
export const KEYWORDS: Record<string, string[]> = {
  'automotive-sales': ['price', 'financing', 'lease', 'suv', 'trade'],
  'parts-specialist': ['part', 'brake', 'pads', 'filter', 'oem'],
  'service-advisor': ['oil', 'appointment', 'inspection', 'repair', 'noise'],
};

/**
 * A real softmax classifier as the trainers write it (trainers/CONTRACT.md): model.onnx over the
 * shared hashed-ngram features, and its manifest (at `manifestPath`, default manifest.json beside it).
 */
export function writeClassifier(
  storagePath: string,
  dir: string,
  manifestPath = path.join(dir, 'manifest.json'),
): { modelPath: string; manifestPath: string } {
  const dim = DEFAULT_FEATURIZER.dim;
  const weights = new Float32Array(dim * LABELS.length);
  LABELS.forEach((label, l) => {
    for (const word of KEYWORDS[label]) weights[(fnv1a32(word) % dim) * LABELS.length + l] += 8;
  });
  const modelPath = path.join(dir, 'model.onnx');
  fs.mkdirSync(path.join(storagePath, dir), { recursive: true });
  fs.writeFileSync(
    path.join(storagePath, modelPath),
    classifierToOnnx(
      { inputDim: dim, numLabels: LABELS.length, weights, bias: new Float32Array(LABELS.length) },
      'neuroweaver-tests',
    ),
  );
  const manifest = {
    format: 'onnx',
    trainer: 'test',
    featurizer: DEFAULT_FEATURIZER,
    labelField: 'specialization',
    labels: LABELS,
    input: 'features',
    output: 'probabilities',
  };
  fs.mkdirSync(path.dirname(path.join(storagePath, manifestPath)), { recursive: true });
  fs.writeFileSync(path.join(storagePath, manifestPath), JSON.stringify(manifest));
  return { modelPath, manifestPath };
}

/** The app with what inference tests need: the service itself and the deps to build a second app on. */
export async function createInferenceTestApp(overrides: Record<string, string> = {}) {
  const config = testConfig(overrides);
  const sequelize = openDatabase(config, { poolMax: 4 });
  const { connection, client: temporal } = createTemporalClient(config);
  const deps: ApiDeps = {
    config,
    jwtSecret: TEST_JWT_SECRET,
    sequelize,
    stores: createStores(sequelize, config),
    temporal,
    logger: createLogger('test', 'silent'),
  };
  const created = createApp(deps);
  return {
    ...created,
    config,
    deps,
    close: async () => {
      await created.close();
      await connection.close();
      await sequelize.close();
    },
  };
}

export type InferenceTestApp = Awaited<ReturnType<typeof createInferenceTestApp>>;

export interface Served {
  modelId: string;
  deploymentId: string;
  name: string;
}

/** A registered model and a deployment of it, as the deployment workflow leaves them. */
export async function deployModel(
  t: InferenceTestApp,
  specialization: string,
  artifact: { modelPath: string | null; manifestPath?: string },
  version = '1',
  config: Record<string, unknown> = {},
): Promise<Served> {
  const name = uniqueName('serve');
  const model = await modelsOf(t.deps.sequelize).ModelRecord.create({
    name,
    description: null,
    specialization,
    baseModel: 'test-bow',
    version,
    modelPath: artifact.modelPath,
    config:
      artifact.manifestPath || Object.keys(config).length
        ? { ...config, ...(artifact.manifestPath && { manifestPath: artifact.manifestPath }) }
        : null,
    performanceMetrics: null,
    deploymentConfig: null,
    createdBy: 'inference-test',
  });
  const deployment = await modelsOf(t.deps.sequelize).Deployment.create({
    modelId: model.id,
    name: `${name}-deployment`,
    status: 'promoted',
    endpointUrl: null,
    deploymentConfig: null,
    healthCheckUrl: null,
    deployedAt: new Date(),
    createdBy: 'inference-test',
    resourceLimits: null,
    autoScaleConfig: null,
    specialization,
    workflowId: null,
    reason: null,
  });
  return { modelId: model.id, deploymentId: deployment.id, name };
}

export async function setRouting(
  t: InferenceTestApp,
  specialization: string,
  r: { stable?: Served | null; canary?: Served | null; canaryWeight?: number },
): Promise<void> {
  await modelsOf(t.deps.sequelize).Routing.upsert({
    specialization,
    stableDeploymentId: r.stable?.deploymentId ?? null,
    canaryDeploymentId: r.canary?.deploymentId ?? null,
    canaryWeight: r.canaryWeight ?? 0,
    backupDeploymentId: null,
    updatedBy: 'inference-test',
  });
}

export const infer = (t: InferenceTestApp, specialization: string, body: unknown, headers: Record<string, string>) =>
  t.app.request(`/api/v1/inference/${specialization}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
