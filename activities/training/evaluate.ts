import fs from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { loadDataset } from '../../ml/dataset';
import { featurizeInto, type FeaturizerSpec } from '../../ml/features';
import type { Evaluation } from '../../workflows/training-types';
import type { ArtifactCache } from '../../storage/artifact-cache';

interface ModelManifest {
  featurizer: FeaturizerSpec;
  labelField: string;
  labels: string[];
  input: string;
  output: string;
}

const BATCH = 256;

/** Holdout accuracy, per-label accuracy and macro-F1 of the ONNX artifact, as onnxruntime serves it. */
export async function evaluateArtifact(
  modelFile: string,
  manifestFile: string,
  datasetDir: string,
): Promise<Evaluation> {
  const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as ModelManifest;
  const dataset = await loadDataset(datasetDir, manifest.labelField);
  const labelIndex = dataset.labels.map((l) => manifest.labels.indexOf(l));
  const session = await ort.InferenceSession.create(modelFile);
  const C = manifest.labels.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const dim = manifest.featurizer.dim;
  let runMs = 0;
  try {
    for (let start = 0; start < dataset.holdout.length; start += BATCH) {
      const batch = dataset.holdout.slice(start, start + BATCH);
      const features = new Float32Array(batch.length * dim);
      batch.forEach((e, i) => featurizeInto(e.text, features.subarray(i * dim, (i + 1) * dim), manifest.featurizer));
      const t0 = performance.now();
      const out = await session.run({ [manifest.input]: new ort.Tensor('float32', features, [batch.length, dim]) });
      runMs += performance.now() - t0;
      const probabilities = out[manifest.output].data as Float32Array;
      batch.forEach((e, i) => {
        let best = 0;
        for (let c = 1; c < C; c++) if (probabilities[i * C + c] > probabilities[i * C + best]) best = c;
        confusion[labelIndex[e.label]][best] += 1;
      });
    }
  } finally {
    await session.release();
  }
  const total = dataset.holdout.length;
  const correct = confusion.reduce((sum, row, i) => sum + row[i], 0);
  const perLabelAccuracy: Record<string, number> = {};
  let f1Sum = 0;
  manifest.labels.forEach((label, i) => {
    const actual = confusion[i].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[i], 0);
    const tp = confusion[i][i];
    perLabelAccuracy[label] = actual ? tp / actual : 0;
    const precision = predicted ? tp / predicted : 0;
    const recall = actual ? tp / actual : 0;
    f1Sum += precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  });
  return {
    holdoutAccuracy: correct / total,
    perLabelAccuracy,
    macroF1: f1Sum / C,
    examples: total,
    meanLatencyMs: runMs / Math.ceil(total / BATCH),
  };
}

export function createEvaluationActivities({ artifacts }: { artifacts: { cache: ArtifactCache } }) {
  return {
    async evaluateTrainedModel(p: {
      modelPath: string;
      manifestPath: string;
      datasetDir: string;
    }): Promise<Evaluation> {
      // Read through the store: the training worker that wrote them may be another machine.
      const [modelFile, manifestFile] = await Promise.all([
        artifacts.cache.localFile(p.modelPath),
        artifacts.cache.localFile(p.manifestPath),
      ]);
      return evaluateArtifact(modelFile, manifestFile, p.datasetDir);
    },
  };
}
