import { once } from 'node:events';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadDataset, DatasetError } from '../../ml/dataset';
import { DEFAULT_FEATURIZER, featurize } from '../../ml/features';
import { HyperparametersSchema, type ResolvedHyperparameters } from '../../ml/hyperparameters';
import { classifierToOnnx } from '../../ml/onnx-classifier';
import { EXIT_BAD_INPUT, type TrainerJob, type TrainerLine } from '../protocol';
import { SeededRandom, SoftmaxRegression, toSparse, type SparseVector } from './softmax-regression';

/**
 * The builtin trainer (trainers/CONTRACT.md): a softmax-regression text classifier over hashed
 * n-grams, trained on the CPU in TypeScript, written as ONNX. `tsx trainers/builtin/main.ts job.json`.
 */

const emit = (line: TrainerLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

class BadInput extends Error {}

let stopRequested: string | undefined;
const requestStop = (why: string) => (stopRequested ??= why);
process.on('SIGTERM', () => requestStop('SIGTERM'));
process.on('SIGINT', () => requestStop('SIGINT'));
// The activity's stdin pipe is never written to: EOF means the worker is gone. (Run by hand with
// stdin from a terminal or /dev/null, there is no such pipe to watch.)
if (fsSync.fstatSync(0).isFIFO()) {
  process.stdin.on('end', () => requestStop('stdin closed (worker gone)'));
  process.stdin.resume();
}

interface Checkpoint {
  epoch: number;
  rngState: number;
  weights: string;
  bias: string;
}

const toBase64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const fromBase64 = (s: string) => {
  const bytes = Buffer.from(s, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

/** Written under a temporary name and renamed, so a crash never leaves half a file behind. */
async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

function resolveHyperparameters(raw: unknown): ResolvedHyperparameters {
  const parsed = HyperparametersSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadInput(`hyperparameters.${issue.path.join('.') || '?'}: ${issue.message}`);
  }
  if (parsed.data.hiddenUnits > 0)
    throw new BadInput('hyperparameters.hiddenUnits: the builtin trainer is linear (use 0, or the torch trainer)');
  return parsed.data;
}

async function train(job: TrainerJob): Promise<void> {
  const hp = resolveHyperparameters(job.hyperparameters);
  const dataset = await loadDataset(job.datasetDir, job.labelField);
  const spec = DEFAULT_FEATURIZER;
  const toExample = (e: { text: string; label: number }) => ({ x: toSparse(featurize(e.text, spec)), label: e.label });
  const train = dataset.train.map(toExample);
  const holdout = dataset.holdout.map(toExample);
  emit({
    type: 'log',
    level: 'info',
    message: `builtin trainer: ${train.length} train / ${holdout.length} holdout examples, ${dataset.labels.length} labels`,
  });

  let model = new SoftmaxRegression(spec.dim, dataset.labels.length);
  const rng = new SeededRandom(hp.seed);
  let firstEpoch = 1;
  if (job.resumeFrom) {
    const checkpoint = JSON.parse(await fs.readFile(job.resumeFrom.path, 'utf8')) as Checkpoint;
    model = new SoftmaxRegression(
      spec.dim,
      dataset.labels.length,
      fromBase64(checkpoint.weights),
      fromBase64(checkpoint.bias),
    );
    rng.state = checkpoint.rngState;
    firstEpoch = checkpoint.epoch + 1;
    emit({ type: 'log', level: 'info', message: `resumed from epoch ${checkpoint.epoch} (${job.resumeFrom.path})` });
  }

  const order = train.map((_, i) => i);
  const stepsPerEpoch = Math.ceil(train.length / hp.batchSize);
  let lastProgress = 0;
  let loss = 0;
  for (let epoch = firstEpoch; epoch <= hp.epochs; epoch++) {
    rng.shuffle(order);
    const epochStart = performance.now();
    let seen = 0;
    let epochLoss = 0;
    for (let step = 0; step < stepsPerEpoch; step++) {
      if (stopRequested) throw new Error(`stopped: ${stopRequested}`);
      const batch: { x: SparseVector; label: number }[] = [];
      for (let i = step * hp.batchSize; i < Math.min(train.length, (step + 1) * hp.batchSize); i++)
        batch.push(train[order[i]]);
      epochLoss += model.trainBatch(batch, hp.learningRate, hp.l2) * batch.length;
      seen += batch.length;
      const now = performance.now();
      if (now - lastProgress >= 200 || step === stepsPerEpoch - 1) {
        lastProgress = now;
        const samplesPerSec = seen / Math.max((now - epochStart) / 1000, 1e-6);
        emit({
          type: 'progress',
          epoch,
          totalEpochs: hp.epochs,
          step: (epoch - 1) * stepsPerEpoch + step + 1,
          totalSteps: hp.epochs * stepsPerEpoch,
          loss: epochLoss / seen,
          samplesPerSec: Math.round(samplesPerSec),
        });
      }
      // Let signals and stdin EOF be delivered between batches.
      if (step % 32 === 31) await new Promise((r) => setImmediate(r));
    }
    loss = epochLoss / seen;
    const checkpointPath = path.join(job.checkpointDir, `epoch-${epoch}.ckpt`);
    const checkpoint: Checkpoint = {
      epoch,
      rngState: rng.state,
      weights: toBase64(model.weights),
      bias: toBase64(model.bias),
    };
    await writeAtomically(checkpointPath, JSON.stringify(checkpoint));
    emit({ type: 'checkpoint', path: checkpointPath, epoch });
  }

  emit({
    type: 'metrics',
    trainAccuracy: model.accuracy(train),
    holdoutAccuracy: model.accuracy(holdout),
    loss,
    holdoutLoss: model.meanLoss(holdout),
  });
  if (stopRequested) throw new Error(`stopped: ${stopRequested}`);
  const modelPath = path.join(job.outputDir, 'model.onnx');
  const manifestPath = path.join(job.outputDir, 'manifest.json');
  await writeAtomically(
    modelPath,
    classifierToOnnx(
      { inputDim: spec.dim, numLabels: dataset.labels.length, weights: model.weights, bias: model.bias },
      'neuroweaver-builtin',
    ),
  );
  const manifest = {
    format: 'onnx',
    trainer: 'builtin',
    featurizer: spec,
    labelField: job.labelField,
    labels: dataset.labels,
    input: 'features',
    output: 'probabilities',
    hyperparameters: hp,
    dataset: { name: dataset.manifest.name, trainExamples: train.length, holdoutExamples: holdout.length },
  };
  await writeAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  emit({ type: 'artifact', path: modelPath, format: 'onnx', manifestPath });
}

async function main(): Promise<void> {
  const jobFile = process.argv[2];
  if (!jobFile) {
    emit({ type: 'log', level: 'error', message: 'usage: builtin trainer <job.json>' });
    process.exit(EXIT_BAD_INPUT);
  }
  try {
    await train(JSON.parse(await fs.readFile(jobFile, 'utf8')) as TrainerJob);
  } catch (err) {
    const badInput = err instanceof BadInput || err instanceof DatasetError;
    emit({ type: 'log', level: 'error', message: (err as Error).message });
    process.exitCode = badInput ? EXIT_BAD_INPUT : stopRequested ? 143 : 1;
  }
  // stdout may still be flushing to a pipe.
  if (process.stdout.writableLength > 0) await once(process.stdout, 'drain');
  process.exit();
}

void main();
