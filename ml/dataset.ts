import fs from 'node:fs/promises';
import path from 'node:path';

/** A dataset as trainers/CONTRACT.md describes it: dataset.json plus train/holdout JSON lines. */
export interface DatasetManifest {
  name: string;
  version?: string;
  description?: string;
  labels: Record<string, string[]>;
  files: { train: string; holdout: string };
}

export interface Example {
  text: string;
  label: number;
}

export interface LoadedDataset {
  manifest: DatasetManifest;
  labels: string[];
  train: Example[];
  holdout: Example[];
}

/** A dataset that cannot be trained on; the message says what is wrong and where. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export async function readDatasetManifest(dir: string): Promise<DatasetManifest> {
  let raw: string;
  try {
    raw = await fs.readFile(path.join(dir, 'dataset.json'), 'utf8');
  } catch {
    throw new DatasetError(`dataset manifest ${path.join(dir, 'dataset.json')} not found`);
  }
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(raw) as DatasetManifest;
  } catch (err) {
    throw new DatasetError(`dataset.json is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof manifest.name !== 'string' || !manifest.labels || !manifest.files?.train || !manifest.files?.holdout) {
    throw new DatasetError('dataset.json must have name, labels and files.train / files.holdout');
  }
  return manifest;
}

async function readExamples(file: string, labelField: string, labels: string[]): Promise<Example[]> {
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch {
    throw new DatasetError(`${path.basename(file)} not found in the dataset`);
  }
  const examples: Example[] = [];
  const lines = raw.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const where = `${path.basename(file)} line ${i + 1}`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(lines[i]) as Record<string, unknown>;
    } catch {
      throw new DatasetError(`${where} is not valid JSON`);
    }
    if (typeof row.text !== 'string' || row.text.trim() === '') throw new DatasetError(`${where} has no text`);
    const label = labels.indexOf(String(row[labelField]));
    if (label < 0)
      throw new DatasetError(
        `${where}: ${labelField} ${JSON.stringify(row[labelField])} is not one of ${labels.join(', ')}`,
      );
    examples.push({ text: row.text, label });
  }
  return examples;
}

/** Loads and checks a dataset: at least two labels, and examples in both splits. */
export async function loadDataset(dir: string, labelField: string): Promise<LoadedDataset> {
  const manifest = await readDatasetManifest(dir);
  const labels = manifest.labels[labelField];
  if (!Array.isArray(labels) || labels.length < 2) {
    throw new DatasetError(`dataset.json lists no labels for "${labelField}" (needs at least two)`);
  }
  const [train, holdout] = await Promise.all([
    readExamples(path.join(dir, manifest.files.train), labelField, labels),
    readExamples(path.join(dir, manifest.files.holdout), labelField, labels),
  ]);
  if (train.length === 0) throw new DatasetError('the train split is empty');
  if (holdout.length === 0) throw new DatasetError('the holdout split is empty');
  return { manifest, labels, train, holdout };
}
