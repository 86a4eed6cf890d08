import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PRODUCTION_SAMPLER_RATIO } from '../config/env';
import { createStores } from '../db/stores';
import { listeningPort } from '../api/server';
import { startApiProcess } from '../support/api-process';
import { runLoadProcess } from './load-process';
import { BENCH_SECRET, benchBearer, registerBareModel, startBenchStack } from './stack';
import { summarize, type Summary } from './stats';

const percent = (ratio: number) => `${ratio * 100} %`;

/** What a CPU profile's sampled frame is charged to (its own time, not its callees'). */
type Share = 'tracing' | 'metrics' | 'asyncHooks';

const CHARGED_TO: [Share, (url: string) => boolean][] = [
  ['tracing', (url) => url.includes('/@opentelemetry/') || /\/(api|config)\/tracing\.ts$/.test(url)],
  [
    'metrics',
    (url) => url.includes('/prom-client/') || /\/api\/(observe|http-metrics|request-stats|metrics)\.ts$/.test(url),
  ],
  // Node runs these on every promise once an AsyncLocalStorage is in use: Temporal's client has
  // one from its first call, OpenTelemetry's context manager a second from the first call the
  // Temporal tracing interceptor wraps (a workflow start, signal or query), traced or not.
  ['asyncHooks', (url) => url === 'node:async_hooks' || url === 'node:internal/async_hooks'],
];

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
}

/** A frame only a request runs: Hono's dispatch of it to the app's routes. */
const IN_A_REQUEST = ({ functionName, url }: { functionName: string; url: string }) =>
  url.includes('/hono/dist/') && functionName.includes('dispatch');

/**
 * Each share as a percentage of the samples the thread was busy (not idle, not V8's "(program)"),
 * from the first request on: the process's start (loading and compiling modules, OpenTelemetry's
 * among them) is not what a request costs.
 */
export function chargeProfile(profile: CpuProfile): Record<Share, number> {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parentOf = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((child) => [child, n.id] as const)));
  const underRequest = (id: number | undefined): boolean =>
    id !== undefined && (IN_A_REQUEST(byNode.get(id)!) || underRequest(parentOf.get(id)));
  const first = profile.samples.findIndex((id) => underRequest(id));
  if (first < 0) throw new Error('the CPU profile holds no request');
  const counts: Record<Share, number> = { tracing: 0, metrics: 0, asyncHooks: 0 };
  let busy = 0;
  for (const id of profile.samples.slice(first)) {
    const frame = byNode.get(id)!;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    busy++;
    const share = CHARGED_TO.find(([, matches]) => matches(frame.url))?.[0];
    if (share) counts[share]++;
  }
  return {
    tracing: (100 * counts.tracing) / busy,
    metrics: (100 * counts.metrics) / busy,
    asyncHooks: (100 * counts.asyncHooks) / busy,
  };
}

/** An OTLP/HTTP endpoint that takes every export and keeps nothing: the exporter's work is counted. */
async function startOtlpSink() {
  let exports = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await listeningPort(server.listen(0, '127.0.0.1'));
  return {
    url: `http://127.0.0.1:${port}`,
    exports: () => exports,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ObservabilityRow {
  name: string;
  /** Percent of the API process's busy CPU in the tracing code, the metrics code, and async hooks. */
  tracing: Summary;
  metrics: Summary;
  /** The two together, per round (the budget: under 2 %). */
  both: Summary;
  asyncHooks: Summary;
}

export interface ObservabilityBench {
  rate: number;
  seconds: number;
  rows: ObservabilityRow[];
}

/**
 * Where the API's CPU goes on a route that reads the database on every request
 * (`GET /api/v1/models/{id}`), for each tracing configuration users run: the API as `npm start`
 * runs it (its own process, `api/main.ts`), loaded at a fixed rate from another, with a CPU
 * profile of its main thread. Charged by each sampled frame's own time, so the answer does not
 * depend on the host's speed (which moves by tens of percent here within a minute, more than the
 * 2 % this measures). A lower bound: time these parts cost in Node's own code (the exporter's
 * socket writes, timers, the collector) is charged to neither; async hooks get a column of their own.
 */
export async function benchObservability({ rounds = 3, rate = 1_000, seconds = 15 } = {}): Promise<ObservabilityBench> {
  const { config, sequelize, close } = await startBenchStack();
  const sink = await startOtlpSink();
  const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-bench-profiles-'));
  const stores = createStores(sequelize, config);
  const model = await registerBareModel(stores, 'bench-observed');
  // A second model, whose validation is the one workflow start each API process makes.
  const validated = await registerBareModel(stores, 'bench-validated');
  const headers = benchBearer('read');
  const production = String(PRODUCTION_SAMPLER_RATIO);
  const configurations: { name: string; env: Record<string, string> }[] = [
    // Set, not left out: an endpoint in the bench's own environment would reach the API process.
    {
      name: 'no exporter (as `npm start` runs it)',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_SAMPLER_ARG: production },
    },
    {
      name: `OTLP exporter, ${percent(PRODUCTION_SAMPLER_RATIO)} of new traces sampled (production's default)`,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER_ARG: production },
    },
    {
      name: 'OTLP exporter, 10 % of new traces sampled',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER_ARG: '0.1' },
    },
    {
      name: 'OTLP exporter, every request sampled',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER_ARG: '1' },
    },
  ];
  const shares = configurations.map(() => [] as Record<Share, number>[]);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, { env }] of configurations.entries()) {
        const dir = path.join(profiles, `${round}-${i}`);
        const api = await startApiProcess(config, BENCH_SECRET, env, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
        try {
          // A workflow start first, as any running API has made: from then on Temporal's client and
          // the tracing interceptor each have their AsyncLocalStorage in use.
          const started = await fetch(`${api.url}/api/v1/models/${validated.id}/validate`, {
            method: 'POST',
            headers: benchBearer('write'),
          });
          if (started.status !== 202) throw new Error(`validate: ${started.status} ${await started.text()}`);
          await runLoadProcess('open-loop.ts', {
            url: `${api.url}/api/v1/models/${model.id}`,
            headers,
            rate,
            seconds,
            rounds: 1,
          });
        } finally {
          await api.kill('SIGTERM');
        }
        // The main thread's profile (thread 0; the inference worker threads write their own).
        const file = fs.readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
        if (!file) throw new Error(`no CPU profile of the API's main thread in ${dir}`);
        shares[i].push(chargeProfile(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile));
      }
    }
    if (sink.exports() === 0) throw new Error('the OTLP exporter sent nothing: the sampled rows measured no export');
    return {
      rate,
      seconds,
      rows: configurations.map(({ name }, i) => ({
        name,
        tracing: summarize(shares[i].map((s) => s.tracing)),
        metrics: summarize(shares[i].map((s) => s.metrics)),
        both: summarize(shares[i].map((s) => s.tracing + s.metrics)),
        asyncHooks: summarize(shares[i].map((s) => s.asyncHooks)),
      })),
    };
  } finally {
    await sink.close();
    // Kept on request, for a flame graph (Chrome DevTools or speedscope open .cpuprofile files).
    if (process.env.NW_BENCH_KEEP_PROFILES) console.log(`bench: the API's CPU profiles are in ${profiles}`);
    else fs.rmSync(profiles, { recursive: true, force: true });
    await close();
  }
}
