import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ArtifactStore } from '../../storage/artifact-store';
import { isUploadOf, tooLarge, uploadKey, uploadRefusal } from '../artifact-uploads';
import { policy } from '../auth/route-policy';
import { inScopeOr404 } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { conflict, fieldError, notFound } from '../errors';
import { authErrors, conflictError, jsonResponse, notFoundError, tooLargeError, UuidParam } from '../schemas/common';
import { ModelSchema } from '../schemas/models';
import { parseRange } from '../byte-range';

const security = [{ bearerAuth: [] }];
const binary = z.string().openapi({ type: 'string', format: 'binary' });

const uploadRoute = createRoute({
  method: 'put',
  path: '/models/{id}/artifact',
  operationId: 'uploadModelArtifact',
  ...policy({ access: 'write', scope: 'object' }),
  tags: ['models'],
  summary: "Upload the model's file (ONNX), streamed to the artifact store",
  description:
    'The body is the file (up to NW_MAX_ARTIFACT_BYTES, 5 GiB by default), streamed to the store and hashed on the way. ' +
    'With `x-checksum-sha256` (hex) the bytes must match it. The same bytes again change nothing (200); other bytes ' +
    'replace those of a model that is registered or invalid (its validation starts over) and are refused (409) once ' +
    'the model was validated. An upload that does not complete leaves the model as it was.',
  security,
  request: {
    params: UuidParam,
    headers: z.object({
      'x-checksum-sha256': z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the body as 64 hex digits')
        .optional()
        .openapi({
          description: 'SHA-256 of the body, 64 hex digits',
          example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        }),
    }),
    body: { required: true, content: { 'application/octet-stream': { schema: binary } } },
  },
  responses: {
    200: jsonResponse(ModelSchema, 'The model already had these bytes'),
    201: jsonResponse(ModelSchema, 'Stored; the model now points at them'),
    ...authErrors,
    ...notFoundError,
    ...conflictError,
    ...tooLargeError,
  },
});

const downloadRoute = createRoute({
  method: 'get',
  path: '/models/{id}/artifact',
  operationId: 'downloadModelArtifact',
  ...policy({ access: 'read', scope: 'object' }),
  tags: ['models'],
  summary: "Download the model's file (single byte ranges supported)",
  security,
  request: { params: UuidParam },
  responses: {
    200: { description: 'The file', content: { 'application/octet-stream': { schema: binary } } },
    206: { description: 'The requested range', content: { 'application/octet-stream': { schema: binary } } },
    416: { description: 'The range lies outside the file' },
    ...authErrors,
    ...notFoundError,
  },
});

export function createArtifactRoutes({
  config,
  stores: { models },
  artifacts,
}: Pick<ApiDeps, 'config' | 'stores'> & { artifacts: ArtifactStore }) {
  const app = new OpenAPIHono<AppEnv>();
  const maxBytes = config.artifacts.maxBytes;

  app.openapi(uploadRoute, async (c) => {
    const model = inScopeOr404(c, await models.get(c.req.valid('param').id), 'model');
    const announced = c.req.header('x-checksum-sha256')?.toLowerCase();
    const length = c.req.header('content-length');
    if (length !== undefined && Number(length) > maxBytes) throw tooLarge(maxBytes);
    if (!c.req.raw.body || length === '0') throw fieldError('body', 'must be the model file (it is empty)');

    const key = uploadKey(model.id);
    let stored;
    try {
      stored = await artifacts.put(key, Readable.fromWeb(c.req.raw.body as WebReadableStream), {
        maxBytes,
        expectedSha256: announced,
      });
    } catch (err) {
      throw uploadRefusal(err, maxBytes) ?? err;
    }
    if (stored.sizeBytes === 0) {
      await artifacts.remove(key);
      throw fieldError('body', 'must be the model file (it is empty)');
    }
    const result = await models.attachArtifact(model.id, key, stored);
    if (result.outcome !== 'attached') await artifacts.remove(key);
    switch (result.outcome) {
      case 'missing':
        throw notFound('model');
      case 'frozen':
        throw conflict(
          `model ${model.id} is ${result.model.status}: its file was judged and cannot be replaced; register a new version`,
          { status: result.model.status, sha256: result.model.artifact?.sha256 ?? null },
        );
      case 'unchanged':
        return c.json(result.model, 200);
      case 'attached':
        // The bytes an earlier upload of this model left behind; a path registered by hand is not ours to remove.
        if (isUploadOf(model.id, result.previousPath)) await artifacts.remove(result.previousPath!);
        return c.json(result.model, 201);
    }
  });

  app.openapi(downloadRoute, async (c) => {
    const model = inScopeOr404(c, await models.get(c.req.valid('param').id), 'model');
    if (!model.modelPath) throw notFound('artifact');
    const size = (await artifacts.stat(model.modelPath))?.sizeBytes;
    if (size === undefined) throw notFound('artifact');
    const range = parseRange(c.req.header('range'), size);
    if (range === 'unsatisfiable')
      return c.body(null, 416, { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' });
    const object = await artifacts.open(model.modelPath, range);
    if (!object) throw notFound('artifact');
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Content-Length': String(range ? range.end - range.start + 1 : size),
      'Content-Disposition': `attachment; filename="${model.name}-${model.version}.onnx"`.replace(/[^\x20-\x7e]/g, '_'),
      ...(model.artifact ? { ETag: `"${model.artifact.sha256}"` } : {}),
      ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${size}` } : {}),
    };
    return c.body(Readable.toWeb(object.body) as ReadableStream, range ? 206 : 200, headers);
  });

  return app;
}
