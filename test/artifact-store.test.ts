import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createApp } from '../api/app';
import { createLogger } from '../config/logger';
import { createStores } from '../db/stores';
import { modelsOf } from '../db/models';
import { ArtifactCache } from '../storage/artifact-cache';
import { ArtifactTooLarge, ChecksumMismatch, type ArtifactStore } from '../storage/artifact-store';
import { createLocalStore } from '../storage/local-store';
import { createS3Store } from '../storage/s3-store';
import { deploymentRow, routeTo } from '../support/deployment-rows';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { createTestApp, json, type TestApp } from './helpers/app';
import { TEST_JWT_SECRET, testConfig, uniqueName } from './helpers/env';
import { bearer, tokenFor } from './helpers/tokens';
import { eventually, getJob, makeDatasetsDir, startJob } from './helpers/training';
import { withWorker } from './helpers/worker';
import { writeClassifier } from './helpers/inference';
import type { Config } from '../config/env';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const read = async (body: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

let s3: S3TestServer;
let bucket: string;

beforeAll(async () => {
  s3 = await startS3Server();
  bucket = await s3.bucket(
    `nw-${uniqueName('artifacts')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')}`.slice(0, 60),
  );
});
afterAll(() => s3?.stop());

/** The same promises from both backends: what the API and the workers rely on. */
describe.each([
  ['local files', () => createLocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-store-')))],
  [
    'S3 (moto server)',
    () => createS3Store({ bucket, prefix: uniqueName('p'), endpoint: s3.endpoint, region: 'us-east-1' }),
  ],
])('artifact store: %s', (_name, makeStore) => {
  let store: ArtifactStore;
  beforeAll(() => {
    store = makeStore();
  });

  it('stores a multipart-sized body, reads it whole and by range, and removes it', async () => {
    const bytes = randomBytes(17 * 1024 * 1024 + 5); // three S3 parts
    const stored = await store.put('a/b/model.onnx', Readable.from([bytes]), { maxBytes: 1e9 });
    expect(stored).toEqual({ sha256: sha256(bytes), sizeBytes: bytes.length });
    expect(await store.stat('a/b/model.onnx')).toEqual({ sizeBytes: bytes.length });
    const whole = await store.open('a/b/model.onnx');
    expect((await read(whole!.body)).equals(bytes)).toBe(true);
    const range = await store.open('a/b/model.onnx', { start: 5, end: 9 });
    expect(range!.sizeBytes).toBe(bytes.length);
    expect((await read(range!.body)).equals(bytes.subarray(5, 10))).toBe(true);
    await store.remove('a/b/model.onnx');
    expect(await store.stat('a/b/model.onnx')).toBeUndefined();
    expect(await store.open('a/b/model.onnx')).toBeUndefined();
    await store.remove('a/b/model.onnx'); // a missing key is not an error
  });

  it('leaves nothing at the key when the body is too large, does not match, or breaks off', async () => {
    await expect(store.put('too-large', Readable.from([randomBytes(2000)]), { maxBytes: 1000 })).rejects.toBeInstanceOf(
      ArtifactTooLarge,
    );
    await expect(
      store.put('mismatch', Readable.from([randomBytes(10)]), {
        maxBytes: 1000,
        expectedSha256: sha256(Buffer.from('x')),
      }),
    ).rejects.toBeInstanceOf(ChecksumMismatch);
    const broken = new Readable({
      read() {
        this.push(randomBytes(6 * 1024 * 1024));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store.put('broken', broken, { maxBytes: 1e9 })).rejects.toThrow('connection reset');
    for (const key of ['too-large', 'mismatch', 'broken']) expect(await store.stat(key)).toBeUndefined();
  });

  it('refuses keys that would leave the store', async () => {
    for (const key of ['/etc/passwd', '../outside', 'a/../../b', ''])
      await expect(store.put(key, Readable.from([Buffer.from('x')]), { maxBytes: 10 })).rejects.toThrow(
        /not an artifact key/,
      );
  });

  it('gives a local file through the cache: in place for local files, one verified copy per digest otherwise', async () => {
    const bytes = randomBytes(1000);
    const { sha256: digest } = await store.put('cached/model.onnx', Readable.from([bytes]), { maxBytes: 1e6 });
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-cache-'));
    const cache = new ArtifactCache(store, cacheDir);
    const [a, b] = await Promise.all([
      cache.localFile('cached/model.onnx', digest),
      cache.localFile('cached/model.onnx', digest),
    ]);
    expect(a).toBe(b);
    expect(fs.readFileSync(a).equals(bytes)).toBe(true);
    expect(a.startsWith(cacheDir)).toBe(store.localPath('cached/model.onnx') === undefined);
    if (store.localPath('cached/model.onnx') === undefined) {
      // A digest the bytes do not have: the copy is refused, never kept.
      await expect(cache.localFile('cached/model.onnx', '0'.repeat(64))).rejects.toBeInstanceOf(ChecksumMismatch);
      expect(fs.existsSync(path.join(cacheDir, `sha256-${'0'.repeat(64)}`, 'model.onnx'))).toBe(false);
    }
  });
});

/**
 * More than one machine, on the S3 store: a model trained by a worker whose files go to the bucket
 * is served by a second API replica that has none of its own (another data directory), and an
 * uploaded model is validated by the worker from the bucket.
 */
describe('on the S3 store: train on one machine, serve from another replica', () => {
  jest.setTimeout(180_000);
  let t: TestApp;
  let replica: ReturnType<typeof createApp>;
  let replicaConfig: Config;
  const writer = bearer(tokenFor('write', 'trainer-user'));
  const reader = bearer(tokenFor('read', 'relaycore'));
  const prefix = uniqueName('fleet');

  beforeAll(async () => {
    const s3Env = s3.storeEnv(bucket, prefix);
    t = await createTestApp({ ...s3Env, NW_DATASETS_DIR: makeDatasetsDir(), NW_GPU_SLOTS: '1' });
    // Another replica: the same database, Temporal and bucket; its own data directory and cache.
    const config = testConfig(s3Env);
    replicaConfig = config;
    expect(config.modelStoragePath).not.toBe(t.config.modelStoragePath);
    replica = createApp({
      config,
      jwtSecret: TEST_JWT_SECRET,
      sequelize: t.sequelize,
      stores: createStores(t.sequelize, config),
      temporal: t.temporal,
      logger: createLogger('test', 'silent'),
    });
  });
  const routed: string[] = [];
  afterAll(async () => {
    if (t) await modelsOf(t.sequelize).Routing.destroy({ where: { specialization: routed } });
    await replica?.close();
    await t?.close();
  });

  it('publishes a trained model to the bucket; the other replica serves it through its cache', async () => {
    const specialization = uniqueName('fleet-spec');
    routed.push(specialization);
    const store = createS3Store({ bucket, prefix, endpoint: s3.endpoint, region: 'us-east-1' });
    const model = await withWorker(t.config, t.sequelize, async () => {
      const job = await startJob(t, writer, {
        name: uniqueName('fleet-model'),
        specialization: 'automotive-sales',
        hyperparameters: { epochs: 2 },
      });
      await t.temporal.workflow.getHandle(job.workflowId).result();
      const view = await getJob(t, writer, job.jobId);
      return (await (await t.app.request(`/api/v1/models/${view.modelId}`, { headers: reader })).json()) as {
        id: string;
        name: string;
        modelPath: string;
        artifact: { sha256: string; sizeBytes: number };
        config: { manifestPath: string };
      };
    });
    expect(model.artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.stat(model.modelPath)).toEqual({ sizeBytes: model.artifact.sizeBytes });
    expect(await store.stat(model.config.manifestPath)).toBeDefined();

    const deploymentId = await deploymentRow(t.sequelize, specialization, model, { status: 'promoted', by: 'test' });
    await routeTo(t.sequelize, specialization, { stable: deploymentId, by: 'test' });
    const answer = await eventually(
      async () =>
        replica.app.request(`/api/v1/inference/${specialization}`, json({ input: 'price of a new suv lease' }, reader)),
      (res) => res.status === 200,
      30_000,
    );
    expect(((await answer.json()) as { modelId: string }).modelId).toBe(model.id);
    // Not a file of its own: the copy it fetched, named by the digest the registry recorded.
    expect(
      fs.existsSync(path.join(replicaConfig.artifacts.cacheDir, `sha256-${model.artifact.sha256}`, 'model.onnx')),
    ).toBe(true);
    expect(fs.existsSync(path.join(replicaConfig.modelStoragePath, model.modelPath))).toBe(false);
    // Its health check asks the bucket too.
    const health = (await (await replica.app.request('/health/detailed')).json()) as {
      dependencies: { modelStorage: { status: string } };
    };
    expect(health.dependencies.modelStorage.status).toBe('healthy');
  });

  it('validates an uploaded model from the bucket on the worker', async () => {
    const registered = await t.app.request(
      '/api/v1/models/register',
      json(
        { name: uniqueName('fleet-upload'), specialization: 'automotive-sales', baseModel: 'onnx', version: '1' },
        writer,
      ),
    );
    const { id } = (await registered.json()) as { id: string };
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-upload-'));
    const onnx = fs.readFileSync(path.join(scratch, writeClassifier(scratch, 'upload').modelPath));
    const put = await t.app.request(`/api/v1/models/${id}/artifact`, {
      method: 'PUT',
      headers: { ...writer, 'x-checksum-sha256': sha256(onnx) },
      body: onnx,
    });
    expect(put.status).toBe(201);
    const validated = await withWorker(t.config, t.sequelize, async () => {
      const started = await t.app.request(`/api/v1/models/${id}/validate`, { method: 'POST', headers: writer });
      const { workflowId } = (await started.json()) as { workflowId: string };
      await t.temporal.workflow.getHandle(workflowId).result();
      return (await (await t.app.request(`/api/v1/models/${id}`, { headers: reader })).json()) as {
        status: string;
        validation: { check: { exists: boolean; loadable: boolean; sizeBytes: number } };
      };
    });
    expect(validated.status).toBe('validated');
    expect(validated.validation.check).toMatchObject({ exists: true, loadable: true, sizeBytes: onnx.length });
  });
});
