import { SLUG_PATTERN } from '../schemas/common';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadDataset } from '../../ml/dataset';
import type { ArtifactCache } from '../../storage/artifact-cache';
import { manifestKey } from '../../storage/model-files';
import type { ModelRow } from './router';
import type { ProbeResult } from '../../workflows/watchdog/types';

export type { ProbeResult };

export interface LabelledText {
  text: string;
  label: string;
}

const DEFAULT_DATASET = 'automotive-queries';

/**
 * The labelled probe examples of each model: the holdout split of the dataset it was trained on
 * (config.dataset), labelled by its manifest's labelField. Loaded once per dataset and label field;
 * successive probes walk through the split so every example gets its turn.
 */
export class ProbeSets {
  private readonly sets = new Map<string, Promise<LabelledText[]>>();
  private cursor = 0;

  constructor(private readonly dirs: { artifacts: ArtifactCache; datasetsDir: string }) {}

  async examples(row: ModelRow & { dataset: string | null }, count: number): Promise<LabelledText[]> {
    const dataset = row.dataset ?? DEFAULT_DATASET;
    // A dataset is a name in the catalog (a slug), never a path: "..", "a/b" or "/etc" name nothing.
    if (!SLUG_PATTERN.test(dataset)) throw new Error(`the model's dataset "${dataset}" is not a dataset name`);
    if (!row.modelPath) throw new Error('model has no modelPath');
    const manifestFile = await this.dirs.artifacts.localFile(manifestKey(row.modelPath, row.manifestPath));
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as { labelField?: unknown };
    const labelField = typeof manifest.labelField === 'string' ? manifest.labelField : 'specialization';
    const key = `${dataset}\u0000${labelField}`;
    let set = this.sets.get(key);
    if (!set) {
      set = loadDataset(path.join(this.dirs.datasetsDir, path.basename(dataset)), labelField).then((d) =>
        d.holdout.map((e) => ({ text: e.text, label: d.labels[e.label] })),
      );
      set.catch(() => this.sets.delete(key));
      this.sets.set(key, set);
    }
    const all = await set;
    const start = this.cursor;
    this.cursor = (this.cursor + count) % all.length;
    return Array.from({ length: Math.min(count, all.length) }, (_, i) => all[(start + i) % all.length]);
  }
}
