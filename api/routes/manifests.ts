import { Readable } from 'node:stream';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ArtifactStore } from '../../storage/artifact-store';
import { ManifestSchema } from '../inference/manifest';
import { isUploadOf, uploadKey } from '../artifact-uploads';
import { policy } from '../auth/route-policy';
import { inScopeOr404 } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { conflict, fieldError, notFound } from '../errors';
import { authErrors, conflictError, jsonResponse, notFoundError, UuidParam } from '../schemas/common';
import { ModelSchema } from '../schemas/models';

const uploadManifestRoute = createRoute({
  method: 'put',
  path: '/models/{id}/manifest',
  operationId: 'uploadModelManifest',
  ...policy({ access: 'write', scope: 'object' }),
  tags: ['models'],
  summary: "Upload the manifest that tells serving how to feed the model's file (trainers/CONTRACT.md)",
  description:
    'With an uploaded file, what makes the model servable: the featurizer, the labels in output order, the ' +
    "input and output names. Checked as serving reads it; stored as an upload of its own and named by the model's " +
    '`config.manifestPath`. Same terms as the file: refused (409) once the model was validated.',
  security: [{ bearerAuth: [] }],
  request: {
    params: UuidParam,
    body: { required: true, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
  },
  responses: {
    201: jsonResponse(ModelSchema, 'Stored; the model names it'),
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});

export function createManifestRoutes({
  stores: { models },
  artifacts,
}: Pick<ApiDeps, 'stores'> & { artifacts: ArtifactStore }) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(uploadManifestRoute, async (c) => {
    const model = inScopeOr404(c, await models.get(c.req.valid('param').id), 'model');
    const body = c.req.valid('json');
    const checked = ManifestSchema.safeParse(body);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw fieldError(['body', ...issue.path.map(String)].join('.'), issue.message);
    }
    // A key of its own, like a file upload: a manifest a model was judged on is never overwritten, and
    // whether this one may replace it is decided once, under the model's lock.
    const key = uploadKey(model.id, 'manifest.json');
    const text = JSON.stringify(body, null, 2);
    await artifacts.put(key, Readable.from([Buffer.from(text)]), { maxBytes: Buffer.byteLength(text) });
    const result = await models.attachManifest(model.id, key);
    if (result.outcome !== 'attached') await artifacts.remove(key);
    if (result.outcome === 'missing') throw notFound('model');
    if (result.outcome === 'frozen')
      throw conflict(
        `model ${model.id} is ${result.model.status}: what it was judged on cannot change; register a new version`,
      );
    if (isUploadOf(model.id, result.previousPath)) await artifacts.remove(result.previousPath!);
    return c.json(result.model, 201);
  });

  return app;
}
