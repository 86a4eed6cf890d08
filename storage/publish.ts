import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ArtifactStore, Digesting, type StoredArtifact } from './artifact-store';

/** The SHA-256 and size of a file, read once. */
export async function digestOf(file: string): Promise<StoredArtifact> {
  const digest = new Digesting(Number.MAX_SAFE_INTEGER);
  await pipeline(createReadStream(file), digest, new Writable({ write: (_chunk, _enc, done) => done() }));
  return digest.result();
}

/**
 * Puts a file a trainer wrote on this machine into the store at `key`: nothing to copy when the
 * store is this filesystem and the file is already at its key (the default layout), an upload
 * otherwise. Either way the digest the registry records.
 */
export async function publishFile(store: ArtifactStore, key: string, file: string): Promise<StoredArtifact> {
  if (store.localPath(key) === path.resolve(file)) return digestOf(file);
  return store.put(key, createReadStream(file), { maxBytes: Number.MAX_SAFE_INTEGER });
}
