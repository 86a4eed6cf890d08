import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { listeningPort, serveApi } from '../api/server';
import { createTestApp, json, type TestApp } from './helpers/app';
import { signToken } from '../auth/token';
import { TEST_JWT_SECRET, uniqueName } from './helpers/env';
import { bearer, tokenFor } from './helpers/tokens';
import { eventually } from './helpers/training';
import { writeClassifier } from './helpers/inference';
import { modelsOf } from '../db/models';
import { deploymentRow, routeTo } from '../support/deployment-rows';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface ModelAnswer {
  id: string;
  status: string;
  modelPath: string | null;
  artifact: { sha256: string; sizeBytes: number } | null;
  validation: unknown;
  error?: { code: string; message: string; details?: { fields?: { field: string }[] } };
}

/**
 * Model uploads on the default store (files under MODEL_STORAGE_PATH), over real HTTP: the body
 * streamed in chunks as a client would send a large file, an upload cut off half way, the limits.
 */
describe('model artifacts: upload and download', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let small: TestApp;
  let server: http.Server;
  let smallServer: http.Server;
  let base: string;
  let smallBase: string;
  const writer = bearer(tokenFor('write', 'uploader'));
  const reader = bearer(tokenFor('read', 'downloader'));

  beforeAll(async () => {
    t = await createTestApp();
    // The same API with a 1 MiB artifact limit, for the limit's own tests.
    small = await createTestApp({ NW_MAX_ARTIFACT_BYTES: String(1024 * 1024) });
    server = serveApi(t.app.fetch, { port: 0, hostname: '127.0.0.1' });
    smallServer = serveApi(small.app.fetch, { port: 0, hostname: '127.0.0.1' });
    base = `http://127.0.0.1:${await listeningPort(server)}/api/v1`;
    smallBase = `http://127.0.0.1:${await listeningPort(smallServer)}/api/v1`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => smallServer.close(r));
    await t.close();
    await small.close();
  });

  const register = async (app: TestApp = t) => {
    const res = await app.app.request(
      '/api/v1/models/register',
      json(
        { name: uniqueName('uploaded'), specialization: 'automotive-sales', baseModel: 'onnx', version: '1' },
        writer,
      ),
    );
    expect(res.status).toBe(201);
    return (await res.json()) as ModelAnswer;
  };
  /** Streams `bytes` in 64 KiB chunks (chunked transfer encoding: no length announced). */
  const upload = async (id: string, bytes: Buffer, headers: Record<string, string> = {}, at = base) => {
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, i) =>
      bytes.subarray(i * 65_536, (i + 1) * 65_536),
    );
    const res = await fetch(`${at}/models/${id}/artifact`, {
      method: 'PUT',
      headers: { ...writer, 'content-type': 'application/octet-stream', ...headers },
      body: Readable.toWeb(Readable.from(chunks)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    return { status: res.status, body: (await res.json()) as ModelAnswer };
  };
  const uploadsOf = (app: TestApp, id: string) => {
    const dir = path.join(app.config.modelStoragePath, 'uploads', id);
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };
  const incoming = (app: TestApp) => {
    const dir = path.join(app.config.modelStoragePath, '.incoming');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };

  it('streams an upload to the store, records its digest and size, and serves it back whole and in ranges', async () => {
    const model = await register();
    const bytes = randomBytes(6 * 1024 * 1024 + 123);
    const put = await upload(model.id, bytes, { 'x-checksum-sha256': sha256(bytes) });
    expect(put.status).toBe(201);
    expect(put.body.artifact).toEqual({ sha256: sha256(bytes), sizeBytes: bytes.length });
    expect(put.body.modelPath).toMatch(new RegExp(`^uploads/${model.id}/[0-9a-f-]{36}/model\\.onnx$`));
    expect(fs.readFileSync(path.join(t.config.modelStoragePath, put.body.modelPath!)).equals(bytes)).toBe(true);

    const whole = await fetch(`${base}/models/${model.id}/artifact`, { headers: reader });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    const part = await fetch(`${base}/models/${model.id}/artifact`, { headers: { ...reader, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await fetch(`${base}/models/${model.id}/artifact`, { headers: { ...reader, range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);
    const outside = await fetch(`${base}/models/${model.id}/artifact`, {
      headers: { ...reader, range: `bytes=${bytes.length}-` },
    });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
  });

  it('takes the same bytes again as a no-op and leaves one copy', async () => {
    const model = await register();
    const bytes = randomBytes(300_000);
    const first = await upload(model.id, bytes);
    const again = await upload(model.id, bytes, { 'x-checksum-sha256': sha256(bytes) });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.modelPath).toBe(first.body.modelPath);
    expect(uploadsOf(t, model.id)).toHaveLength(1);
  });

  it('replaces the bytes of a model nothing was judged on, removing the earlier upload; refuses it once validated', async () => {
    const model = await register();
    const first = await upload(model.id, randomBytes(1000));
    const second = await upload(model.id, randomBytes(2000));
    expect(second.status).toBe(201);
    expect(second.body.artifact!.sizeBytes).toBe(2000);
    expect(uploadsOf(t, model.id)).toEqual([second.body.modelPath!.split('/')[2]]);
    expect(first.body.modelPath).not.toBe(second.body.modelPath);

    await t.stores.models.setValidation(model.id, { valid: true }, 'validated');
    const refused = await upload(model.id, randomBytes(3000));
    expect(refused.status).toBe(409);
    expect(refused.body.error!.message).toMatch(/validated/);
    const after = (await (
      await t.app.request(`/api/v1/models/${model.id}`, { headers: reader })
    ).json()) as ModelAnswer;
    expect(after.artifact).toEqual(second.body.artifact);
    expect(uploadsOf(t, model.id)).toHaveLength(1);
    // The bytes it was validated on are still accepted as what they are.
    const bytes = fs.readFileSync(path.join(t.config.modelStoragePath, second.body.modelPath!));
    expect((await upload(model.id, bytes)).status).toBe(200);
  });

  it('refuses bytes that do not match the announced checksum, or none at all, naming the field, and keeps nothing', async () => {
    const model = await register();
    const bytes = randomBytes(200_000);
    const wrong = await upload(model.id, bytes, { 'x-checksum-sha256': sha256(Buffer.from('other')) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error!.details!.fields!.map((f) => f.field)).toEqual(['x-checksum-sha256']);
    const malformed = await upload(model.id, bytes, { 'x-checksum-sha256': 'abc' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error!.message).toMatch(/x-checksum-sha256/);
    const empty = await upload(model.id, Buffer.alloc(0));
    expect(empty.status).toBe(400);
    expect(empty.body.error!.details!.fields!.map((f) => f.field)).toEqual(['body']);
    expect(uploadsOf(t, model.id)).toEqual([]);
    const after = (await (
      await t.app.request(`/api/v1/models/${model.id}`, { headers: reader })
    ).json()) as ModelAnswer;
    expect([after.modelPath, after.artifact]).toEqual([null, null]);
  });

  it('refuses a body over NW_MAX_ARTIFACT_BYTES, announced or streamed, and keeps nothing', async () => {
    const model = await register(small);
    const announced = await fetch(`${smallBase}/models/${model.id}/artifact`, {
      method: 'PUT',
      headers: { ...writer, 'content-length': String(2 * 1024 * 1024) },
      body: randomBytes(2 * 1024 * 1024),
    });
    expect(announced.status).toBe(413);
    const streamed = await upload(model.id, randomBytes(1024 * 1024 + 1), {}, smallBase);
    expect(streamed.status).toBe(413);
    expect(streamed.body.error!.code).toBe('payload_too_large');
    expect(uploadsOf(small, model.id)).toEqual([]);
    await eventually(
      async () => incoming(small),
      (files) => files.length === 0,
      5_000,
    );
    // Under the limit, the same API takes it (its JSON body limit of 1 MiB does not apply to uploads).
    expect((await upload(model.id, randomBytes(1024 * 1024), {}, smallBase)).status).toBe(201);
  });

  it('registers nothing when the client goes away half way through an upload', async () => {
    const model = await register();
    const { port } = new URL(base);
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/api/v1/models/${model.id}/artifact`,
        headers: { ...writer, 'content-length': String(4 * 1024 * 1024) },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(1024 * 1024), () => setTimeout(() => req.destroy(), 200));
      req.on('close', () => resolve());
    });
    await eventually(
      async () => incoming(t),
      (files) => files.length === 0,
      10_000,
    );
    const after = (await (
      await t.app.request(`/api/v1/models/${model.id}`, { headers: reader })
    ).json()) as ModelAnswer;
    expect([after.modelPath, after.artifact]).toEqual([null, null]);
    expect(uploadsOf(t, model.id)).toEqual([]);
  });

  it('needs write access to the model’s specialization to upload; read access to download', async () => {
    const model = await register();
    const readerPut = await upload(model.id, randomBytes(10), reader);
    expect(readerPut.status).toBe(403);
    const elsewhere = bearer(
      signToken(TEST_JWT_SECRET, {
        sub: 'other-team',
        level: 'write',
        ttlSeconds: 600,
        resources: ['service-advisor'],
      }),
    );
    expect((await upload(model.id, randomBytes(10), elsewhere)).status).toBe(404);
    expect((await fetch(`${base}/models/${model.id}/artifact`, { headers: reader })).status).toBe(404);
    expect((await fetch(`${base}/models/${model.id}/artifact`)).status).toBe(401);
  });
});

/** An uploaded model, made servable by its manifest, answers inference like a trained one. */
describe('model artifacts: an uploaded model and its manifest, served', () => {
  let t: TestApp;
  const writer = bearer(tokenFor('write', 'uploader'));
  const reader = bearer(tokenFor('read', 'relaycore'));
  const routed: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await modelsOf(t.sequelize).Routing.destroy({ where: { specialization: routed } });
    await t.close();
  });

  it('serves an uploaded file with its uploaded manifest; refuses a manifest serving could not use', async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-upload-'));
    const files = writeClassifier(scratch, 'm');
    const specialization = uniqueName('uploaded-spec');
    routed.push(specialization);
    const registered = (await (
      await t.app.request(
        '/api/v1/models/register',
        json({ name: uniqueName('uploaded'), specialization, baseModel: 'onnx', version: '1' }, writer),
      )
    ).json()) as ModelAnswer & { name: string };
    const put = (route: string, body: Buffer | string, type: string) =>
      t.app.request(`/api/v1/models/${registered.id}/${route}`, {
        method: 'PUT',
        headers: { ...writer, 'content-type': type },
        body,
      });
    expect(
      (await put('artifact', fs.readFileSync(path.join(scratch, files.modelPath)), 'application/octet-stream')).status,
    ).toBe(201);
    const manifest = JSON.parse(fs.readFileSync(path.join(scratch, files.manifestPath), 'utf8')) as {
      featurizer: Record<string, unknown>;
    };
    const broken = await put(
      'manifest',
      JSON.stringify({ ...manifest, featurizer: { ...manifest.featurizer, dim: -1 } }),
      'application/json',
    );
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as ModelAnswer).error!.details!.fields!.map((f) => f.field)).toEqual([
      'body.featurizer.dim',
    ]);
    const stored = await put('manifest', JSON.stringify(manifest), 'application/json');
    expect(stored.status).toBe(201);
    expect(((await stored.json()) as { config: { manifestPath: string } }).config.manifestPath).toMatch(
      new RegExp(`^uploads/${registered.id}/[0-9a-f-]{36}/manifest\\.json$`),
    );

    const deploymentId = await deploymentRow(t.sequelize, specialization, registered, {
      status: 'promoted',
      by: 'test',
    });
    await routeTo(t.sequelize, specialization, { stable: deploymentId, by: 'test' });
    const answer = await eventually(
      async () =>
        t.app.request(`/api/v1/inference/${specialization}`, json({ input: 'price of a new suv lease' }, reader)),
      (res) => res.status === 200,
      20_000,
    );
    expect(await answer.json()).toMatchObject({ modelId: registered.id, output: { label: 'automotive-sales' } });

    await t.stores.models.setValidation(registered.id, { valid: true }, 'validated');
    expect((await put('manifest', JSON.stringify(manifest), 'application/json')).status).toBe(409);
    // The refused one left nothing; the model file's folder and the served manifest's are all there is.
    expect(fs.readdirSync(path.join(t.config.modelStoragePath, 'uploads', registered.id))).toHaveLength(2);
  });
});
