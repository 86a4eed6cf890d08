import path from 'node:path';

/**
 * A job's checkpoints: `.checkpoints/<job id>` in the artifact store, written by the trainer to the
 * same folder under MODEL_STORAGE_PATH (on the default store, that folder is the store's own).
 */
export const checkpointPrefix = (jobId: string) => `.checkpoints/${jobId}`;
export const checkpointDirFor = (modelStoragePath: string, jobId: string) =>
  path.join(modelStoragePath, checkpointPrefix(jobId));

/** Resolves a path relative to MODEL_STORAGE_PATH, refusing anything that would leave it. */
export function insideStorage(modelStoragePath: string, relative: string): string {
  const resolved = path.resolve(modelStoragePath, relative);
  if (!resolved.startsWith(path.resolve(modelStoragePath) + path.sep))
    throw new Error(`${relative} is outside MODEL_STORAGE_PATH`);
  return resolved;
}
