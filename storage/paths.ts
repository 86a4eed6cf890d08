import path from 'node:path';

/** Checkpoints live beside the models (shared storage), so a retry on another worker finds them. */
export const checkpointDirFor = (modelStoragePath: string, jobId: string) =>
  path.join(modelStoragePath, '.checkpoints', jobId);

/** Resolves a path relative to MODEL_STORAGE_PATH, refusing anything that would leave it. */
export function insideStorage(modelStoragePath: string, relative: string): string {
  const resolved = path.resolve(modelStoragePath, relative);
  if (!resolved.startsWith(path.resolve(modelStoragePath) + path.sep))
    throw new Error(`${relative} is outside MODEL_STORAGE_PATH`);
  return resolved;
}
