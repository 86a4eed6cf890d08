import { randomUUID } from 'node:crypto';
import { ArtifactTooLarge, ChecksumMismatch } from '../storage/artifact-store';
import { ApiError, fieldError } from './errors';

/** Where uploads go: one folder per model, one per upload, so no upload overwrites another's bytes. */
export const uploadKey = (modelId: string, fileName = 'model.onnx') => `uploads/${modelId}/${randomUUID()}/${fileName}`;

/** Whether `key` is one of this model's uploads (ours to remove once replaced), not a path registered by hand. */
export const isUploadOf = (modelId: string, key: string | null) => key?.startsWith(`uploads/${modelId}/`) ?? false;

/** The path of a PUT that streams its body to the store: the API's JSON body limit does not apply to it. */
export const UPLOAD_PATH = /^\/api\/v1\/models\/[^/]+\/artifact$/;

export const tooLarge = (maxBytes: number) =>
  new ApiError(413, 'payload_too_large', `the artifact exceeds ${maxBytes} bytes (NW_MAX_ARTIFACT_BYTES)`);

/** Why an upload's bytes were not stored, as the client should hear it; undefined for the server's own failures. */
export function uploadRefusal(err: unknown, maxBytes: number): ApiError | undefined {
  if (err instanceof ArtifactTooLarge) return tooLarge(maxBytes);
  if (err instanceof ChecksumMismatch) return fieldError('x-checksum-sha256', err.message);
  // The client went away mid-body: nothing was kept, and it is not a server error.
  const code = (err as { code?: string }).code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error).message === 'aborted')
    return new ApiError(400, 'upload_incomplete', 'the upload ended before its body was complete; nothing was kept');
  return undefined;
}
