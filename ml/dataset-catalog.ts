import fs from 'node:fs/promises';
import path from 'node:path';
import { readDatasetManifest } from './dataset';

export interface DatasetInfo {
  name: string;
  description: string | null;
  version: string | null;
  labels: Record<string, string[]>;
}

/** A dataset's folder name: what the API accepts and the activity checks. */
export const DATASET_NAME = /^[a-z0-9][a-z0-9._-]*$/;

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
