import http from 'node:http';
import { serve } from '@hono/node-server';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Hono } from 'hono';
import { listeningPort, serveApi } from '../api/server';
import { createStores } from '../db/stores';
import { createTemporalClient } from '../api/temporal-client';
import { startTracing, stopTracing } from '../config/tracing';
import { PRODUCTION_SAMPLER_RATIO } from '../config/env';
import { getOk } from './http-get';
import { benchApp, benchBearer, registerBareModel, startBenchStack } from './stack';
import { load, percentile, summarize, type Summary } from './stats';

export interface ApiBench {
  requests: number;
  /** Each round's requests of a case, in this many turns taken with the other cases. */
  slices: number;
  concurrency: number;
  /**
   * requests/s and p99 ms of each server, per round summarised; `ofBareHono`: its requests/s as a
   * percentage of bare Hono's in the same round (rounds run every case back to back, so a noisy
   * stretch of the host moves both sides of each ratio alike).
   */
  rows: { name: string; perSecond: Summary; p99: Summary; ofBareHono: Summary }[];
}

const BARE_HONO = 'GET /health, bare Hono';

// While the rows take turns a server's connections sit idle for seconds: free ones are dropped
// before its 5 s keep-alive timeout, or one reused just as the server closes it is a "socket hang up".
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 });

const get = (port: number, path: string, headers: Record<string, string>) =>
  getOk({ host: '127.0.0.1', port, path }, agent, headers);

/** Ours is served as `npm start` serves it (security headers included); the comparisons bare. */
async function listen(
  server: http.Server | { api: (req: Request) => Response | Promise<Response> } | { hono: Hono },
): Promise<{ port: number; close: () => Promise<void> }> {
  const listening =
    server instanceof http.Server
      ? server.listen(0, '127.0.0.1')
      : 'api' in server
        ? serveApi(server.api, { port: 0, hostname: '127.0.0.1' })
        : (serve({ fetch: server.hono.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server);
  const port = await listeningPort(listening);
  return { port, close: () => new Promise((r) => listening.close(() => r())) };
}

/**
 * What the full middleware stack (auth, metrics, tracing, security headers, body limit) costs:
 * a JSON hello, a registry page (held in memory) and a model read from the database through it,
 * beside the same app without the observability
 * middleware, with tracing on, and bare Hono and node:http answering the same hello — all over
 * real HTTP with keep-alive, in rounds.
 */
export async function benchApi({
  rounds = 3,
  requests = 3_000,
  slices = 10,
  concurrency = 16,
} = {}): Promise<ApiBench> {
  const { config, sequelize, close } = await startBenchStack();
  const { connection, client: temporal } = createTemporalClient(config);
  const full = benchApp({ config, sequelize, temporal });
  const bare = benchApp({ config, sequelize, temporal }, { instrument: false });
  const hello = JSON.stringify({ status: 'ok' });
  const honoHello = new Hono().get('/health', (c) => c.json({ status: 'ok' }));
  const nodeHello = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': hello.length }).end(hello),
  );
  const servers = {
    full: await listen({ api: full.app.fetch }),
    bare: await listen({ api: bare.app.fetch }),
    hono: await listen({ hono: honoHello }),
    node: await listen(nodeHello),
  };
  // One model, read from the database on every request of its page (the list's pages are held in memory).
  const model = await registerBareModel(createStores(sequelize, config), 'bench-model');
  const auth = benchBearer('read');
  const cases: {
    name: string;
    port: number;
    path: string;
    headers: Record<string, string>;
    /** With tracing on, this ratio of new traces sampled (a processor takes each sampled span). */
    tracing?: number;
  }[] = [
    { name: 'GET /health, node:http', port: servers.node.port, path: '/health', headers: {} },
    { name: BARE_HONO, port: servers.hono.port, path: '/health', headers: {} },
    {
      name: 'GET /health, NeuroWeaver without metrics and tracing',
      port: servers.bare.port,
      path: '/health',
      headers: {},
    },
    { name: 'GET /health, NeuroWeaver (metrics)', port: servers.full.port, path: '/health', headers: {} },
    {
      name: 'GET /health, NeuroWeaver (metrics and tracing, every request sampled)',
      port: servers.full.port,
      path: '/health',
      headers: {},
      tracing: 1,
    },
    {
      name: 'GET /api/v1/models, NeuroWeaver without metrics and tracing',
      port: servers.bare.port,
      path: '/api/v1/models?limit=10',
      headers: auth,
    },
    {
      name: 'GET /api/v1/models, NeuroWeaver (metrics)',
      port: servers.full.port,
      path: '/api/v1/models?limit=10',
      headers: auth,
    },
    {
      name: 'GET /api/v1/models, NeuroWeaver (metrics and tracing, every request sampled)',
      port: servers.full.port,
      path: '/api/v1/models?limit=10',
      headers: auth,
      tracing: 1,
    },
    {
      name: 'GET /api/v1/models/{id} (a database read), NeuroWeaver without metrics and tracing',
      port: servers.bare.port,
      path: `/api/v1/models/${model.id}`,
      headers: auth,
    },
    {
      name: 'GET /api/v1/models/{id} (a database read), NeuroWeaver (metrics)',
      port: servers.full.port,
      path: `/api/v1/models/${model.id}`,
      headers: auth,
    },
    {
      name: 'GET /api/v1/models/{id} (a database read), NeuroWeaver (metrics and tracing, every request sampled)',
      port: servers.full.port,
      path: `/api/v1/models/${model.id}`,
      headers: auth,
      tracing: 1,
    },
    {
      name: `GET /api/v1/models/{id} (a database read), NeuroWeaver (metrics and tracing, ${PRODUCTION_SAMPLER_RATIO * 100} % sampled as in production)`,
      port: servers.full.port,
      path: `/api/v1/models/${model.id}`,
      headers: auth,
      tracing: PRODUCTION_SAMPLER_RATIO,
    },
  ];
  const results = new Map(cases.map((c) => [c.name, { perSecond: [] as number[], p99: [] as number[] }]));
  const perSlice = Math.ceil(requests / slices);
  try {
    // The client's own code warms up first, so the first row is not the slow one.
    for (const c of cases) await load(1_000, concurrency, () => get(c.port, c.path, c.headers));
    for (let round = 0; round < rounds; round++) {
      const taken = new Map(cases.map((c) => [c.name, { seconds: 0, latencies: [] as number[] }]));
      // Each case's requests in slices, the cases taking turns (back and forth): the host's speed
      // moves within seconds here, and a case run whole could meet a slow second the next one did not.
      for (let slice = 0; slice < slices; slice++) {
        for (const c of slice % 2 ? [...cases].reverse() : cases) {
          // A processor that takes every sampled span (and drops it): as with an exporter configured;
          // new traces started as the API starts them (api/main.ts).
          if (c.tracing)
            startTracing(
              'neuroweaver-bench',
              { otel: { endpoint: undefined, samplerRatio: c.tracing } },
              [new NoopSpanProcessor()],
              { newTraces: 'at-requests' },
            );
          const r = await load(
            perSlice,
            concurrency,
            () => get(c.port, c.path, c.headers),
            taken.get(c.name)!.latencies,
          );
          if (c.tracing) await stopTracing();
          taken.get(c.name)!.seconds += perSlice / r.perSecond;
        }
      }
      for (const c of cases) {
        const { seconds, latencies } = taken.get(c.name)!;
        results.get(c.name)!.perSecond.push((perSlice * slices) / seconds);
        results.get(c.name)!.p99.push(percentile(latencies, 0.99));
      }
    }
    const hono = results.get(BARE_HONO)!.perSecond;
    return {
      requests: perSlice * slices,
      slices,
      concurrency,
      rows: cases.map((c) => ({
        name: c.name,
        perSecond: summarize(results.get(c.name)!.perSecond),
        p99: summarize(results.get(c.name)!.p99),
        ofBareHono: summarize(results.get(c.name)!.perSecond.map((rate, round) => (100 * rate) / hono[round])),
      })),
    };
  } finally {
    for (const s of Object.values(servers)) await s.close();
    await full.close();
    await bare.close();
    await connection.close();
    await close();
  }
}
