import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import * as ort from 'onnxruntime-node';
import { signToken } from '../auth/token';
import { createTemporalClient } from '../api/temporal-client';
import { parseConfig } from '../config/env';
import { openDatabase } from '../db/connection';
import { modelsOf } from '../db/models';
import { featurize } from '../ml/features';
import { createMigrator } from '../migrations/umzug';
import { deploymentRow, routeTo } from '../support/deployment-rows';
import { registerServableModel } from '../support/servable-model';
import { createTestDatabase } from '../support/throwaway-database';
import { BENCH_SECRET, benchApp, UNLIMITED } from './stack';
import { load, summarize, type LoadResult, type Summary } from './stats';
import { serveApi, listeningPort } from '../api/server';

const texts = fs
  .readFileSync(path.join(__dirname, '..', 'datasets', 'automotive-queries', 'holdout.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { text: string }).text);

export interface InferenceBench {
  api: { p50: Summary; p99: Summary; perSecond: Summary };
  rawOrt: { p50: Summary; p99: Summary; perSecond: Summary };
  registryP99Idle: Summary;
  registryP99UnderInference: Summary;
  routingChangeToServedMs: Summary;
  /**
   * #13's inference target, side by side in each round at 16 concurrent: inference through the API
   * and bare Hono answering /health (same client, same process), and the raw ort.run. `ofBareHono`:
   * the API's requests/s as a percentage of bare Hono's (target ≥ 20); `p99Bound`: 3 × (bare Hono p99
   * + raw ort.run p99), the ceiling the API's p99 is held to.
   */
  atSixteen: { ofBareHono: Summary; apiP99: Summary; p99Bound: Summary };
}

const collect = (runs: LoadResult[]) => ({
  p50: summarize(runs.map((r) => r.p50)),
  p99: summarize(runs.map((r) => r.p99)),
  perSecond: summarize(runs.map((r) => r.perSecond)),
});

/** The API (HTTP, auth, routing, worker threads, recording) beside a bare ort.run of the same model. */
export async function benchInference({ rounds = 3, requests = 400, concurrency = 8 } = {}): Promise<InferenceBench> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-bench-inf-'));
  const database = await createTestDatabase();
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    JWT_SECRET: BENCH_SECRET,
    NW_DATA_DIR: workDir,
    LOG_LEVEL: 'error',
    ...UNLIMITED,
  });
  const sequelize = openDatabase(config, { poolMax: 4 });
  const { connection, client } = createTemporalClient(config);
  const { app, close } = benchApp({ config, sequelize, temporal: client });
  const server = serveApi(app.fetch, { port: 0, hostname: '127.0.0.1' });
  const base = `http://127.0.0.1:${await listeningPort(server)}`;
  const headers = {
    authorization: `Bearer ${signToken(BENCH_SECRET, { sub: 'bench', level: 'write', ttlSeconds: 3600 })}`,
    'content-type': 'application/json',
  };
  try {
    await createMigrator(sequelize).up();
    const spec = 'bench-sales';
    const [a, b] = [
      await registerServableModel({ config, sequelize }, spec),
      await registerServableModel({ config, sequelize }, spec),
    ];
    const deployments = await Promise.all(
      [a, b].map((m) => deploymentRow(sequelize, spec, m, { status: 'promoted', by: 'bench' })),
    );
    await routeTo(sequelize, spec, { stable: deployments[0], by: 'bench' });
    const infer = async (i: number) => {
      const res = await fetch(`${base}/api/v1/inference/${spec}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ input: texts[i % texts.length] }),
      });
      if (!res.ok) throw new Error(`inference answered ${res.status}`);
      await res.arrayBuffer();
    };
    const registry = async () =>
      void (await (await fetch(`${base}/api/v1/models?limit=20`, { headers })).arrayBuffer());
    await load(50, 4, infer); // warm-up: threads started, sessions loaded

    const session = await ort.InferenceSession.create(path.join(config.modelStoragePath, a.modelPath!));
    const raw = async (i: number) => {
      const x = featurize(texts[i % texts.length]);
      await session.run({ features: new ort.Tensor('float32', x, [1, x.length]) });
    };
    const hono = serve({
      fetch: new Hono().get('/health', (c) => c.json({ status: 'ok' })).fetch,
      port: 0,
      hostname: '127.0.0.1',
    }) as http.Server;
    const honoBase = `http://127.0.0.1:${await listeningPort(hono)}`;
    const health = async () => void (await (await fetch(`${honoBase}/health`)).arrayBuffer());
    const sixteen = { p99: [] as number[], ratio: [] as number[], bound: [] as number[] };
    const apiRuns: LoadResult[] = [];
    const rawRuns: LoadResult[] = [];
    const idle: number[] = [];
    const loaded: number[] = [];
    const switches: number[] = [];
    for (let round = 0; round < rounds; round++) {
      apiRuns.push(await load(requests, concurrency, infer));
      rawRuns.push(await load(requests, concurrency, raw));
      idle.push((await load(200, 2, registry)).p99);
      const background = load(requests * 2, concurrency, infer);
      loaded.push((await load(200, 2, registry)).p99);
      await background;
      // Routing change → first answer from the other deployment (the poll interval bounds it).
      const target = deployments[(round + 1) % 2];
      const changed = performance.now();
      await modelsOf(sequelize).Routing.update({ stableDeploymentId: target }, { where: { specialization: spec } });
      for (;;) {
        const res = await fetch(`${base}/api/v1/inference/${spec}`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ input: 'oil change price' }),
        });
        if (((await res.json()) as { deploymentId: string }).deploymentId === target) break;
      }
      switches.push(performance.now() - changed);

      const api16 = await load(requests, 16, infer);
      const hono16 = await load(requests, 16, health);
      const raw16 = await load(requests, 16, raw);
      sixteen.p99.push(api16.p99);
      sixteen.ratio.push((100 * api16.perSecond) / hono16.perSecond);
      sixteen.bound.push(3 * (hono16.p99 + raw16.p99));
    }
    hono.close();
    await session.release();
    return {
      api: collect(apiRuns),
      rawOrt: collect(rawRuns),
      registryP99Idle: summarize(idle),
      registryP99UnderInference: summarize(loaded),
      routingChangeToServedMs: summarize(switches),
      atSixteen: {
        ofBareHono: summarize(sixteen.ratio),
        apiP99: summarize(sixteen.p99),
        p99Bound: summarize(sixteen.bound),
      },
    };
  } finally {
    server.close();
    await close();
    await connection.close();
    await sequelize.close();
    await database.drop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
