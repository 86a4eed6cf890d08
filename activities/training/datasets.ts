import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { DatasetError, loadDataset, readDatasetManifest } from '../../ml/dataset';
import { FailureType } from '../../workflows/failures';
import type { DatasetSummary } from '../../workflows/training-types';

export interface DatasetInfo {
  name: string;
  description: string | null;
  version: string | null;
  labels: Record<string, string[]>;
}

const DATASET_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** The datasets under NW_DATASETS_DIR: every folder with a readable dataset.json. */
export async function listDatasets(datasetsDir: string): Promise<DatasetInfo[]> {
  const names = await fs.readdir(datasetsDir).catch(() => [] as string[]);
  const found: DatasetInfo[] = [];
  for (const name of names.filter((n) => DATASET_NAME.test(n)).sort()) {
    try {
      const m = await readDatasetManifest(path.join(datasetsDir, name));
      found.push({ name, description: m.description ?? null, version: m.version ?? null, labels: m.labels });
    } catch {
      // A folder without a valid manifest is not a dataset.
    }
  }
  return found;
}

export function createDatasetActivities({ datasetsDir }: { datasetsDir: string }) {
  return {
    /** Loads the whole dataset once, so a malformed line fails the job before any training starts. */
    async validateTrainingDataset(name: string): Promise<DatasetSummary> {
      if (!DATASET_NAME.test(name)) throw ApplicationFailure.nonRetryable(`dataset "${name}" is not a valid dataset name`, FailureType.InvalidDataset);
      const datasetDir = path.join(datasetsDir, name);
      try {
        const dataset = await loadDataset(datasetDir, 'specialization');
        return { name, datasetDir, labels: dataset.labels, trainExamples: dataset.train.length, holdoutExamples: dataset.holdout.length };
      } catch (err) {
        if (err instanceof DatasetError) throw ApplicationFailure.nonRetryable(`dataset "${name}": ${err.message}`, FailureType.InvalidDataset);
        throw err;
      }
    },
  };
}
