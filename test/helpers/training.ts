import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestApp } from './app';
import { json } from './app';

export const REPO_DATASETS = path.resolve(__dirname, '..', '..', 'datasets');

/** A datasets dir with the shipped dataset and a broken one (line 3 is not JSON). */
export function makeDatasetsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-datasets-'));
  fs.symlinkSync(path.join(REPO_DATASETS, 'automotive-queries'), path.join(dir, 'automotive-queries'));
  const broken = path.join(dir, 'broken');
  fs.mkdirSync(broken);
  fs.writeFileSync(
    path.join(broken, 'dataset.json'),
    JSON.stringify({
      name: 'broken',
      labels: { specialization: ['a', 'b'] },
      files: { train: 'train.jsonl', holdout: 'holdout.jsonl' },
    }),
  );
  fs.writeFileSync(
    path.join(broken, 'train.jsonl'),
    '{"text":"x","specialization":"a"}\n{"text":"y","specialization":"b"}\n{not json\n',
  );
  fs.writeFileSync(path.join(broken, 'holdout.jsonl'), '{"text":"z","specialization":"a"}\n');
  return dir;
}

export interface StartedJob {
  jobId: string;
  workflowId: string;
  webUiUrl: string;
  status: string;
  workflowStarted: boolean;
}

/**
 * POSTs a job and returns once its workflow runs, as a client that needs the workflow does: a 202
 * with workflowStarted false (Temporal slower than the API waits) is followed until the dispatcher
 * has started it.
 */
export async function startJob(t: TestApp, headers: Record<string, string>, body: object): Promise<StartedJob> {
  const res = await t.app.request('/api/v1/training/jobs', json(body, headers));
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${await res.text()}`);
  const started = (await res.json()) as StartedJob;
  if (!started.workflowStarted) {
    await eventually(
      () => getJob(t, headers, started.jobId),
      (job) => job.workflowStartedAt !== null,
    );
  }
  return started;
}

export interface JobView {
  status: string;
  workflowStartedAt: string | null;
  modelId: string | null;
  metrics: Record<string, unknown> & {
    holdoutAccuracy?: number;
    training?: {
      startedAt: string;
      finishedAt: string;
      resumedFromCheckpoint: boolean;
      device: string;
      epochs: { epoch: number; loss: number }[];
    };
  };
  errorMessage: string | null;
  progress: { stage: string; epoch: number; lastCheckpointEpoch: number | null; resumedFromCheckpoint: boolean } | null;
}

export async function getJob(t: TestApp, headers: Record<string, string>, jobId: string): Promise<JobView> {
  return (await (await t.app.request(`/api/v1/training/jobs/${jobId}`, { headers })).json()) as JobView;
}

/** Polls until `check` passes (or fails after `timeoutMs`). */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!check(value)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
    value = await probe();
  }
  return value;
}
