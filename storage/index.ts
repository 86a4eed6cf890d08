import type { Config } from '../config/env';
import { ArtifactCache } from './artifact-cache';
import type { ArtifactStore } from './artifact-store';
import { createLocalStore } from './local-store';
import { createS3Store } from './s3-store';

/** The configured artifact store (ARTIFACT_STORE_URL; MODEL_STORAGE_PATH when unset) and this process's cache of it. */
export function openArtifacts(config: Pick<Config, 'modelStoragePath' | 'artifacts'>): {
  store: ArtifactStore;
  cache: ArtifactCache;
} {
  const { s3, cacheDir } = config.artifacts;
  const store = s3 ? createS3Store(s3) : createLocalStore(config.modelStoragePath);
  return { store, cache: new ArtifactCache(store, cacheDir) };
}
