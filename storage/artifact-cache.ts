import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type ArtifactStore, ChecksumMismatch, Digesting } from './artifact-store';

/** No object at that key in the store. */
export class ArtifactMissing extends Error {
  override name = 'ArtifactMissing';
}

/**
 * Local copies of artifacts for what needs a file (onnxruntime, the validation, the evaluation).
 * A local store's files are used in place. From a remote store, a file is fetched once per
 * process and machine: named by its SHA-256 when the registry knows it (content-addressed, so two
 * keys with the same bytes share a copy and a changed object is never mistaken for the old one),
 * otherwise by its key (trainers' manifests, written once). Concurrent asks share one download; a
 * copy appears under its name only once complete and verified.
 */
export class ArtifactCache {
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(
    readonly store: ArtifactStore,
    private readonly dir: string,
  ) {}

  async localFile(key: string, sha256?: string | null): Promise<string> {
    const inPlace = this.store.localPath(key);
    if (inPlace) return inPlace;
    const name = sha256 ? `sha256-${sha256}` : `key-${createHash('sha256').update(key).digest('hex')}`;
    const file = path.join(this.dir, name, path.basename(key));
    if (
      await fs.stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return file;
    let fetching = this.fetching.get(file);
    if (!fetching) {
      fetching = this.download(key, file, sha256 ?? undefined).finally(() => this.fetching.delete(file));
      this.fetching.set(file, fetching);
    }
    return fetching;
  }

  private async download(key: string, file: string, sha256: string | undefined): Promise<string> {
    const object = await this.store.open(key);
    if (!object) throw new ArtifactMissing(`no artifact at ${key} in ${this.store.url}`);
    const partial = `${file}.${randomUUID()}.partial`;
    await fs.mkdir(path.dirname(file), { recursive: true });
    const digest = new Digesting(Number.MAX_SAFE_INTEGER);
    try {
      await pipeline(object.body, digest, createWriteStream(partial));
      const { sha256: actual } = digest.result();
      if (sha256 && actual !== sha256) throw new ChecksumMismatch(sha256, actual);
      await fs.rename(partial, file);
      return file;
    } finally {
      await fs.rm(partial, { force: true });
    }
  }
}
