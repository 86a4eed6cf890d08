import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { trainerCommand } from '../activities/training/train';
import { HyperparametersSchema } from '../ml/hyperparameters';
import { parseTrainerLine, type TrainerJob } from '../trainers/protocol';
import type { TrainerKind } from '../workflows/training-types';
import { summarize, type Summary } from './stats';

const ROOT = path.resolve(__dirname, '..');
const DATASET = path.join(ROOT, 'datasets', 'automotive-queries');

export interface TrainerRun {
  samplesPerSec: number;
  wallSeconds: number;
  holdoutAccuracy: number;
}

/** One trainer process over the shipped dataset, as the activity runs it; samples/s of the last epoch. */
async function runTrainer(
  trainer: TrainerKind,
  python: string,
  epochs: number,
  env: NodeJS.ProcessEnv,
): Promise<TrainerRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-bench-'));
  const job: TrainerJob = {
    jobId: 'bench',
    datasetDir: DATASET,
    outputDir: path.join(dir, 'out'),
    checkpointDir: path.join(dir, 'ckpt'),
    labelField: 'specialization',
    hyperparameters: HyperparametersSchema.parse({ epochs }),
  };
  const jobFile = path.join(dir, 'job.json');
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const { command, args } = trainerCommand(trainer, python, jobFile);
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let samplesPerSec = 0;
  let holdoutAccuracy = 0;
  for await (const text of readline.createInterface({ input: child.stdout })) {
    const line = parseTrainerLine(text);
    if (line?.type === 'progress' && line.epoch === epochs) samplesPerSec = line.samplesPerSec;
    if (line?.type === 'metrics') holdoutAccuracy = Number(line.holdoutAccuracy);
  }
  const code = await new Promise<number | null>((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.once('exit', r),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`${trainer} trainer exited with ${code}`);
  return { samplesPerSec, wallSeconds: (performance.now() - started) / 1000, holdoutAccuracy };
}

export interface TrainingBench {
  trainer: string;
  device: string;
  samplesPerSec: Summary;
  wallSeconds: Summary;
  holdoutAccuracy: number;
}

const torchImportable = (python: string) => {
  try {
    execFileSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** builtin vs torch (CPU; and CUDA when a GPU is visible) on the same data, rounds interleaved. */
export async function benchTraining({
  rounds = 3,
  epochs = 4,
  python = process.env.NW_PYTHON ?? 'python3',
} = {}): Promise<TrainingBench[]> {
  const variants: { trainer: TrainerKind; device: string; env: NodeJS.ProcessEnv }[] = [
    { trainer: 'builtin', device: 'cpu', env: {} },
  ];
  if (torchImportable(python)) {
    variants.push({ trainer: 'torch', device: 'cpu', env: { CUDA_VISIBLE_DEVICES: '' } });
    const gpus = (() => {
      try {
        return execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.startsWith('GPU ')).length;
      } catch {
        return 0;
      }
    })();
    if (gpus > 0) variants.push({ trainer: 'torch', device: 'cuda', env: { CUDA_VISIBLE_DEVICES: '0' } });
  }
  const runs = new Map<string, TrainerRun[]>();
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      const key = `${v.trainer}/${v.device}`;
      runs.set(key, [...(runs.get(key) ?? []), await runTrainer(v.trainer, python, epochs, v.env)]);
    }
  }
  return variants.map((v) => {
    const r = runs.get(`${v.trainer}/${v.device}`)!;
    return {
      trainer: v.trainer,
      device: v.device,
      samplesPerSec: summarize(r.map((x) => x.samplesPerSec)),
      wallSeconds: summarize(r.map((x) => x.wallSeconds)),
      holdoutAccuracy: r[0].holdoutAccuracy,
    };
  });
}
