import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { fmt } from './stats';
import { benchApi } from './api';
import { artifactsTable, benchArtifacts } from './artifacts';
import { benchConsole, type ConsoleBench } from './console';
import { benchDatabase } from './database';
import { benchInference } from './inference';
import { benchObservability, type ObservabilityBench } from './observability';
import { benchJudgement, judgementTable } from './judgement';
import { benchPipeline } from './pipeline';
import { benchTraining } from './training';
import { benchWatchdog } from './watchdog';
import { benchWorkflows } from './workflows';

/**
 * `npm run bench`: measures each figure beside its comparison in one run (several rounds, median
 * and spread), writes bench/results/<date>.json and bench/results/latest.md (included in the README).
 */
async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    torch: (() => {
      try {
        return execFileSync(process.env.NW_PYTHON ?? 'python3', ['-c', 'import torch; print(torch.__version__)'], {
          encoding: 'utf8',
        }).trim();
      } catch {
        return 'not installed';
      }
    })(),
    onnxruntimeNode: (require('onnxruntime-node/package.json') as { version: string }).version,
  };
  const training = await benchTraining({ rounds });
  const pipeline = await benchPipeline({ rounds: Math.max(rounds, 5) });
  const inference = await benchInference({ rounds });
  const watchdog = await benchWatchdog({ rounds: Math.max(rounds, 5) });
  const judgement = benchJudgement();
  const api = await benchApi({ rounds });
  const observability = await benchObservability({ rounds });
  const workflows = await benchWorkflows({ rounds });
  const database = await benchDatabase({ rounds });
  const artifacts = await benchArtifacts();
  const consoleBench = await benchConsole({ rounds });
  const date = new Date().toISOString().slice(0, 10);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, `${date}.json`),
    `${JSON.stringify({ date, machine, rounds, training, pipeline, inference, watchdog, judgement, api, observability, workflows, database, artifacts, console: consoleBench }, null, 2)}\n`,
  );
  const table = [
    `Measured ${date} on ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, torch ${machine.torch}, onnxruntime-node ${machine.onnxruntimeNode}; median (min–max) of ${rounds} rounds.`,
    '',
    '| training (shipped dataset, 2,400 examples, 4 epochs) | samples/s (last epoch) | wall time per job, s | holdout accuracy |',
    '| --- | --- | --- | --- |',
    ...training.map(
      (t) =>
        `| ${t.trainer} on ${t.device} | ${fmt(t.samplesPerSec)} | ${fmt(t.wallSeconds, 2)} | ${t.holdoutAccuracy.toFixed(3)} |`,
    ),
    '',
    `| training job through the API (builtin, 2 epochs, one at a time, ${pipeline.postToRunning.rounds} jobs) | ms |`,
    '| --- | --- |',
    `| POST → job running (dataset validated) | ${fmt(pipeline.postToRunning)} |`,
    `| POST → first trainer progress | ${fmt(pipeline.postToFirstProgress)} |`,
    `| POST → model registered | ${fmt(pipeline.postToCompleted)} |`,
    '',
    '| inference (400 requests, 8 concurrent, per round) | p50 ms | p99 ms | requests/s |',
    '| --- | --- | --- | --- |',
    `| through the API (HTTP, JWT, routing, worker threads, recording) | ${fmt(inference.api.p50, 2)} | ${fmt(inference.api.p99, 2)} | ${fmt(inference.api.perSecond)} |`,
    `| raw ort.run of the same model (featurize + run, in process) | ${fmt(inference.rawOrt.p50, 2)} | ${fmt(inference.rawOrt.p99, 2)} | ${fmt(inference.rawOrt.perSecond)} |`,
    '',
    '| inference at 16 concurrent, beside bare Hono answering /health and raw ort.run in the same round | figure |',
    '| --- | --- |',
    `| through the API: requests/s as % of bare Hono's /health (target ≥ 20) | ${fmt(inference.atSixteen.ofBareHono, 1)} |`,
    `| through the API: p99 ms | ${fmt(inference.atSixteen.apiP99, 2)} |`,
    `| ceiling: 3 × (bare Hono p99 + raw ort.run p99), ms | ${fmt(inference.atSixteen.p99Bound, 2)} |`,
    '',
    '| other routes under inference load | ms |',
    '| --- | --- |',
    `| p99 of GET /api/v1/models, idle | ${fmt(inference.registryP99Idle, 2)} |`,
    `| p99 of GET /api/v1/models, during inference load | ${fmt(inference.registryP99UnderInference, 2)} |`,
    `| routing change → first request served by the new deployment | ${fmt(inference.routingChangeToServedMs)} |`,
    '',
    ...judgementTable(judgement),
    '',
    `| watchdog failover (${watchdog.evaluationIntervalSeconds} s windows, shipped judgement; every request to the primary fails; ${watchdog.faultToDecisionMs.rounds} rounds) | ms |`,
    '| --- | --- |',
    `| fault → decision (${fmt(watchdog.faultToDecisionWindows)} windows) | ${fmt(watchdog.faultToDecisionMs)} |`,
    `| decision → routing changed | ${fmt(watchdog.decisionToRoutingMs)} |`,
    `| decision → first request answered by the backup (target ≤ 1,000) | ${fmt(watchdog.decisionToBackupTrafficMs)} |`,
    `| decision → alert delivered to the webhook (target ≤ 2,000) | ${fmt(watchdog.decisionToAlertDeliveredMs)} |`,
    '',
    `| API over HTTP (keep-alive, ${api.concurrency} concurrent, ${api.requests} requests per round in ${api.slices} turns taken with the other rows) | requests/s | % of bare Hono's requests/s in the same round | p99 ms |`,
    '| --- | --- | --- | --- |',
    ...api.rows.map((r) => `| ${r.name} | ${fmt(r.perSecond)} | ${fmt(r.ofBareHono)} | ${fmt(r.p99, 2)} |`),
    '',
    ...observabilityTable(observability),
    '',
    '| workflows (median per round, 4 concurrent) | p50 ms |',
    '| --- | --- |',
    `| start validateModel through the API (auth, model row, search attributes) | ${fmt(workflows.startViaApi, 1)} |`,
    `| start validateModel with the raw client.workflow.start | ${fmt(workflows.startRaw, 1)} |`,
    `| query round trip to a running watchdog, 4 at once while the starts above are worked on | ${fmt(workflows.queryRoundTrip, 1)} |`,
    `| query round trip to a running watchdog, one at a time on a quiet worker (target ≤ 20) | ${fmt(workflows.queryRoundTripAlone, 1)} |`,
    `| signal round trip | ${fmt(workflows.signalRoundTrip, 1)} |`,
    `| update round trip (refused by its validator in the worker) | ${fmt(workflows.updateRoundTrip, 1)} |`,
    '',
    '| training-job starts through the API (its own process, as `npm start` runs it; the load from another, each caller on a keep-alive connection opened before the clock: dataset checked, job and its start committed, workflow started or queued; the main queue polled by a worker beside it, the training queue left to training machines) | accepted/s | p99 ms (target ≤ 500 at 64) | failed (all rounds) | answered before Temporal had the workflow (all rounds) | commit → workflow started: p99 ms | raw client.workflow.start, same concurrency, no worker: starts/s | raw: p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...workflows.sustained.map(
      (s) =>
        `| ${s.concurrency} concurrent | ${fmt(s.startsPerSecond)} | ${fmt(s.p99Ms)} | ${s.failed} | ${s.answeredBeforeStart} of ${s.requests} | ${fmt(s.untilStartedP99Ms)} | ${fmt(s.raw.startsPerSecond)} | ${fmt(s.raw.p99Ms)} |`,
    ),
    '',
    '| database: registry rows through Sequelize, 16 concurrent, same schema and client | inserts/s | parameterized reads/s |',
    '| --- | --- | --- |',
    ...database.servers.map((d) => `| ${d.name} | ${fmt(d.insertsPerSecond)} | ${fmt(d.readsPerSecond)} |`),
    '',
    `| GET /api/v1/models?limit=20 with ${database.registryList.models.toLocaleString('en')} models, ${database.registryList.ratePerSecond} requests/s arriving on schedule (open loop) | ms |`,
    '| --- | --- |',
    `| p50 | ${fmt(database.registryList.p50, 2)} |`,
    `| p99 (target ≤ 10) | ${fmt(database.registryList.p99, 2)} |`,
    `| failed requests (all rounds) | ${database.registryList.failed} |`,
    '',
    ...artifactsTable(artifacts),
    '',
    ...consoleTable(consoleBench),
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'latest.md'), table);
  console.log(table);
}

function observabilityTable(o: ObservabilityBench): string[] {
  return [
    `| the API's CPU on GET /api/v1/models/{id} (a database read on every request), by tracing configuration: the API as \`npm start\` runs it, ${o.rate.toLocaleString('en')} requests/s for ${o.seconds} s, a CPU profile of its main thread from its first request, each sampled frame charged its own time | tracing code, % | metrics code, % | both (target < 2), % | async hooks, % |`,
    '| --- | --- | --- | --- | --- |',
    ...o.rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.tracing, 2)} | ${fmt(r.metrics, 2)} | ${fmt(r.both, 2)} | ${fmt(r.asyncHooks, 2)} |`,
    ),
  ];
}

function consoleTable(c: ConsoleBench): string[] {
  const cpu = (v: number | null) => (v === null ? 'no Chromium' : `${v.toFixed(1)} %`);
  return [
    '| console | figure |',
    '| --- | --- |',
    `| initial JavaScript, gzipped (target ≤ 400 kB) | ${c.initialJsGzipKb} kB (CSS ${c.initialCssGzipKb} kB) |`,
    `| navigation → overview drawn with its data, warm API (target ≤ 1,000 ms) | ${c.interactiveMs ? `${fmt(c.interactiveMs)} ms` : 'no Chromium'} |`,
    `| API process CPU (% of one core), no console open | ${cpu(c.apiCpuIdlePercent)} |`,
    `| API process CPU, 10 visible tabs on the overview polling every 2 s (${c.tenTabsRequestsPerSecond ?? '—'} requests/s) | ${cpu(c.apiCpuTenTabsPercent)} |`,
    '',
  ];
}

main().catch((err) => {
  console.error(`bench: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
