import path from 'node:path';
import type { ArtifactCache } from './artifact-cache';

export interface ArtifactFiles {
  modelFile: string;
  manifestFile: string;
}

/** The manifest's key: `config.manifestPath`, or manifest.json beside the model file. */
export const manifestKey = (modelPath: string, manifestPath: string | null) =>
  manifestPath ?? path.posix.join(path.posix.dirname(modelPath), 'manifest.json');

/**
 * Local files of a registered model: `modelPath` and `config.manifestPath` are keys in the artifact
 * store (relative to MODEL_STORAGE_PATH for the default one; nothing outside it), read in place or
 * through this process's cache.
 */
export async function artifactFiles(
  cache: ArtifactCache,
  row: { modelPath: string | null; manifestPath: string | null; artifactSha256: string | null },
): Promise<ArtifactFiles> {
  if (!row.modelPath) throw new Error('model has no modelPath');
  const [modelFile, manifestFile] = await Promise.all([
    cache.localFile(row.modelPath, row.artifactSha256),
    cache.localFile(manifestKey(row.modelPath, row.manifestPath)),
  ]);
  return { modelFile, manifestFile };
}
