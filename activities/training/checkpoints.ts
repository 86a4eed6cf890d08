import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { log } from '@temporalio/activity';
import type { ArtifactStore } from '../../storage/artifact-store';
import { checkpointPrefix } from '../../storage/paths';

/** A checkpoint as the heartbeat keeps it: the file on the machine that wrote it, and its key in the store. */
export interface StoredCheckpoint {
  path: string;
  epoch: number;
  key?: string;
}

/**
 * Ships each checkpoint to the artifact store as the trainer reports it, one at a time and in
 * order, and says when one is stored (`onStored`): only then may the heartbeat name it, so a retry
 * on another machine never looks for a checkpoint that did not arrive. On the default store the
 * file is already at its key: stored at once.
 */
export function checkpointShipper(store: ArtifactStore, jobId: string, onStored: (c: StoredCheckpoint) => void) {
  let queue = Promise.resolve();
  return {
    ship(checkpoint: { path: string; epoch: number }): void {
      const key = `${checkpointPrefix(jobId)}/${path.basename(checkpoint.path)}`;
      queue = queue
        .then(async () => {
          if (store.localPath(key) !== path.resolve(checkpoint.path))
            await store.put(key, createReadStream(checkpoint.path), { maxBytes: Number.MAX_SAFE_INTEGER });
          onStored({ ...checkpoint, key });
        })
        // A checkpoint that did not get there: the previous one stays the resume point.
        .catch((err: Error) => log.warn('checkpoint not stored', { epoch: checkpoint.epoch, error: err.message }));
    },
    /** Once every reported checkpoint is stored (or given up on). */
    drained: () => queue,
  };
}

/**
 * Where a retry resumes from on this machine: the checkpoint's own file when this machine wrote it,
 * otherwise a copy fetched from the store into `checkpointDir`; undefined when there is none.
 */
export async function resumePoint(
  store: ArtifactStore,
  checkpoint: StoredCheckpoint | null | undefined,
  checkpointDir: string,
): Promise<{ path: string; epoch: number } | undefined> {
  if (!checkpoint) return undefined;
  if (
    await fs.access(checkpoint.path).then(
      () => true,
      () => false,
    )
  )
    return { path: checkpoint.path, epoch: checkpoint.epoch };
  const object = checkpoint.key ? await store.open(checkpoint.key) : undefined;
  if (!object) return undefined;
  const local = path.join(checkpointDir, path.basename(checkpoint.key!));
  await pipeline(object.body, createWriteStream(`${local}.partial`));
  await fs.rename(`${local}.partial`, local);
  return { path: local, epoch: checkpoint.epoch };
}
