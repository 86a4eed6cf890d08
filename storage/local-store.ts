import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { type ArtifactStore, type ByteRange, ChecksumMismatch, checkKey, Digesting } from './artifact-store';
import { insideStorage } from './paths';

/**
 * Artifacts as files under one directory (MODEL_STORAGE_PATH). A body is written to
 * `.incoming/` first and renamed into place once complete and verified: a reader never sees half
 * a file, and an interrupted upload leaves nothing at its key.
 */
export function createLocalStore(root: string): ArtifactStore {
  const resolvedRoot = path.resolve(root);
  const fileOf = (key: string) => insideStorage(resolvedRoot, checkKey(key));
  const statOf = (file: string) => fs.stat(file).catch(() => undefined);
  return {
    url: pathToFileURL(resolvedRoot).href,

    async put(key, body, { maxBytes, expectedSha256 }) {
      const file = fileOf(key);
      const incoming = path.join(resolvedRoot, '.incoming', randomUUID());
      await fs.mkdir(path.dirname(incoming), { recursive: true });
      const digest = new Digesting(maxBytes);
      try {
        await pipeline(body, digest, createWriteStream(incoming));
        const stored = digest.result();
        if (expectedSha256 && expectedSha256 !== stored.sha256)
          throw new ChecksumMismatch(expectedSha256, stored.sha256);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.rename(incoming, file);
        return stored;
      } finally {
        await fs.rm(incoming, { force: true });
      }
    },

    async open(key, range?: ByteRange) {
      const file = fileOf(key);
      const stat = await statOf(file);
      if (!stat?.isFile()) return undefined;
      const body: Readable = createReadStream(file, range ? { start: range.start, end: range.end } : {});
      return { body, sizeBytes: stat.size };
    },

    async stat(key) {
      const stat = await statOf(fileOf(key));
      return stat?.isFile() ? { sizeBytes: stat.size } : undefined;
    },

    async remove(key) {
      const file = fileOf(key);
      await fs.rm(file, { force: true });
      // The folders an upload made for it go with it, as far as they are empty (S3 has no folders to leave).
      for (
        let dir = path.dirname(file);
        dir !== resolvedRoot && dir.startsWith(resolvedRoot);
        dir = path.dirname(dir)
      ) {
        if (
          !(await fs.rmdir(dir).then(
            () => true,
            () => false,
          ))
        )
          break;
      }
    },

    async removeAll(prefix) {
      await fs.rm(fileOf(prefix.replace(/\/+$/, '')), { recursive: true, force: true });
    },

    localPath: (key) => fileOf(key),
  };
}
