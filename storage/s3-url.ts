/** Where an S3 artifact store is (config/env.ts parses it without loading the AWS SDK). */
export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; may be empty. */
  prefix: string;
  /** A custom endpoint (MinIO, another S3-compatible server): path-style addressing. */
  endpoint?: string;
  region: string;
}

/** `s3://bucket/some/prefix` → bucket and prefix. */
export function parseS3Url(url: string): Pick<S3Location, 'bucket' | 'prefix'> {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error('must look like s3://bucket or s3://bucket/prefix');
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}
