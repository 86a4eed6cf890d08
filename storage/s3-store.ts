import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type ArtifactStore, ChecksumMismatch, checkKey, Digesting } from './artifact-store';
import type { S3Location } from './s3-url';

const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/**
 * Artifacts in an S3-compatible bucket. Credentials come the AWS SDK's usual way
 * (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles, instance roles). A body goes up
 * as a multipart upload (8 MiB parts, 4 in flight: ~32 MiB of memory however large the file):
 * S3 shows nothing at the key until the upload completes, and a failed one is aborted. A body
 * whose checksum does not match is removed again before anything refers to it.
 */
export function createS3Store(location: S3Location, client = s3Client(location)): ArtifactStore {
  const { bucket, prefix } = location;
  const objectKey = (key: string) => (prefix ? `${prefix}/${checkKey(key)}` : checkKey(key));
  const missing = (err: unknown) =>
    err instanceof NoSuchKey ||
    err instanceof NotFound ||
    (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
  const remove = async (key: string) => {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
  };
  return {
    url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,

    async put(key, body, { maxBytes, expectedSha256 }) {
      const digest = new Digesting(maxBytes);
      const sent = new PassThrough();
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: objectKey(key), Body: sent },
        partSize: PART_BYTES,
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
      });
      const flowing = pipeline(body, digest, sent);
      // Either side failing ends both: a broken body aborts the upload, a refused upload stops reading.
      const results = await Promise.allSettled([flowing, upload.done()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        await upload.abort().catch(() => undefined);
        if (results[1].status === 'fulfilled') await remove(key).catch(() => undefined);
        throw failed.reason;
      }
      const stored = digest.result();
      if (expectedSha256 && expectedSha256 !== stored.sha256) {
        await remove(key);
        throw new ChecksumMismatch(expectedSha256, stored.sha256);
      }
      return stored;
    },

    async open(key, range) {
      try {
        const answer = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: objectKey(key),
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
        const total = answer.ContentRange ? Number(answer.ContentRange.split('/')[1]) : answer.ContentLength;
        return { body: answer.Body as Readable, sizeBytes: total ?? 0 };
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },

    async stat(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        return { sizeBytes: head.ContentLength ?? 0 };
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },

    remove,

    async removeAll(folder) {
      const Prefix = `${objectKey(folder.replace(/\/+$/, ''))}/`;
      // A page of up to 1,000 keys at a time, each page one DeleteObjects call.
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length === 0) return;
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
        if (!page.IsTruncated) return;
      }
    },

    localPath: () => undefined,
  };
}

function s3Client({ endpoint, region }: S3Location): S3Client {
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // Our own SHA-256 covers every byte; the SDK's newer default checksums (aws-chunked trailers)
    // are not understood by every S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
