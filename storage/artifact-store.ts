import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * Where model files live: the local filesystem (MODEL_STORAGE_PATH, the default) or an
 * S3-compatible bucket (ARTIFACT_STORE_URL=s3://bucket/prefix). Keys are relative paths
 * (`uploads/<model id>/<upload id>/model.onnx`, `sales-intent/job-…/model.onnx`), the same strings
 * models carry as `modelPath`, so a registry written against one store reads the same on the other.
 */
export interface ArtifactStore {
  /** `file:///…` or `s3://bucket/prefix`, for logs and /health/detailed. */
  readonly url: string;
  /**
   * Streams `body` to `key`; nothing is visible at `key` until the whole body arrived, was within
   * `maxBytes` and matched `expectedSha256` (when given). A failure leaves nothing behind.
   */
  put(key: string, body: Readable, options: { maxBytes: number; expectedSha256?: string }): Promise<StoredArtifact>;
  /** The bytes of `key` (an inclusive byte range of them), or undefined when there is no such object. */
  open(key: string, range?: ByteRange): Promise<{ body: Readable; sizeBytes: number } | undefined>;
  stat(key: string): Promise<{ sizeBytes: number } | undefined>;
  /** Removes `key`; a missing key is not an error. */
  remove(key: string): Promise<void>;
  /** Removes every object under the folder `prefix` (a job's checkpoints, a failed job's outputs). */
  removeAll(prefix: string): Promise<void>;
  /** The file itself when the store is this machine's filesystem; otherwise undefined (read through the cache). */
  localPath(key: string): string | undefined;
}

export interface StoredArtifact {
  sizeBytes: number;
  sha256: string;
}

/** Inclusive, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The body was longer than the store accepts for it. */
export class ArtifactTooLarge extends Error {
  override name = 'ArtifactTooLarge';
  constructor(readonly maxBytes: number) {
    super(`the artifact exceeds ${maxBytes} bytes`);
  }
}

/** The bytes that arrived are not the ones the caller announced. */
export class ChecksumMismatch extends Error {
  override name = 'ChecksumMismatch';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`SHA-256 of the bytes received is ${actual}, not ${expected}`);
  }
}

/** Passes bytes through while counting them and hashing them; fails past `maxBytes`. */
export class Digesting extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(new ArtifactTooLarge(this.maxBytes));
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Once the stream ended. */
  result(): StoredArtifact {
    return { sizeBytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

/** A key is what registration accepts as a modelPath: a relative path without `..`. */
export function checkKey(key: string): string {
  if (!key || key.startsWith('/') || key.split(/[\\/]/).includes('..'))
    throw new Error(`"${key}" is not an artifact key (a relative path inside the store, without "..")`);
  return key;
}
