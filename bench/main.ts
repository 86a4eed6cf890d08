import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { fmt } from './stats';
import { benchPipeline } from './pipeline';
import { benchTraining } from './training';

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
        return execFileSync(process.env.NW_PYTHON ?? 'python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
      } catch {
        return 'not installed';
      }
    })(),
    onnxruntimeNode: (require('onnxruntime-node/package.json') as { version: string }).version,
  };
  const training = await benchTraining({ rounds });
  const pipeline = await benchPipeline({ rounds: Math.max(rounds, 5) });
  const date = new Date().toISOString().slice(0, 10);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${date}.json`), `${JSON.stringify({ date, machine, rounds, training, pipeline }, null, 2)}\n`);
  const table = [
    `Measured ${date} on ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, torch ${machine.torch}, onnxruntime-node ${machine.onnxruntimeNode}; median (min–max) of ${rounds} rounds.`,
    '',
    '| training (shipped dataset, 2,400 examples, 4 epochs) | samples/s (last epoch) | wall time per job, s | holdout accuracy |',
    '| --- | --- | --- | --- |',
    ...training.map((t) => `| ${t.trainer} on ${t.device} | ${fmt(t.samplesPerSec)} | ${fmt(t.wallSeconds, 2)} | ${t.holdoutAccuracy.toFixed(3)} |`),
    '',
    `| training job through the API (builtin, 2 epochs, one at a time, ${pipeline.postToRunning.rounds} jobs) | ms |`,
    '| --- | --- |',
    `| POST → job running (dataset validated) | ${fmt(pipeline.postToRunning)} |`,
    `| POST → first trainer progress | ${fmt(pipeline.postToFirstProgress)} |`,
    `| POST → model registered | ${fmt(pipeline.postToCompleted)} |`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'latest.md'), table);
  console.log(table);
}

main().catch((err) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
});
