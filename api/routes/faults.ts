import { inScopeOr404 } from '../auth/scope';
import { policy } from '../auth/route-policy';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { ModelStore } from '../../db/stores/models';
import type { AppEnv } from '../deps';
import { notFound } from '../errors';
import type { FaultRegistry } from '../inference/faults';
import { authErrors, jsonBody, jsonResponse, notFoundError, withLinks } from '../schemas/common';
import { FaultList, FaultRequest, FaultSchema, ModelIdParam } from '../schemas/inference';

const security = [{ bearerAuth: [] }];
const tags = ['admin'];

const createFaultRoute = createRoute({
  method: 'post',
  path: '/admin/faults',
  operationId: 'injectFault',
  ...policy({ access: 'admin', scope: 'object' }),
  tags,
  summary: "Inject a fault into a model's inference (NW_ENABLE_FAULTS=1 only)",
  description:
    "Adds latency and/or fails a fraction of requests (502 model_error, recorded ok=false) until ttl runs out. Replaces the model's previous fault. In this API process only.",
  security,
  request: { body: jsonBody(FaultRequest) },
  responses: {
    201: withLinks(jsonResponse(FaultSchema, 'The fault, now active'), ['liftFault'], {
      modelId: '$response.body#/modelId',
    }),
    ...authErrors,
    ...notFoundError,
  },
});

const listFaultsRoute = createRoute({
  method: 'get',
  path: '/admin/faults',
  operationId: 'listFaults',
  ...policy({ access: 'admin', scope: 'every' }),
  tags,
  summary: 'Active faults',
  security,
  responses: { 200: jsonResponse(FaultList, 'Active faults'), ...authErrors },
});

const deleteFaultRoute = createRoute({
  method: 'delete',
  path: '/admin/faults/{modelId}',
  operationId: 'liftFault',
  ...policy({ access: 'admin', scope: 'every' }),
  tags,
  summary: "Lift a model's fault",
  security,
  request: { params: ModelIdParam },
  responses: { 204: { description: 'Lifted' }, ...authErrors, ...notFoundError },
});

/** Mounted only when faults are enabled: otherwise these paths answer 404 like any unknown route. */
export function createFaultRoutes({ faults, models }: { faults: FaultRegistry; models: ModelStore }) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(createFaultRoute, async (c) => {
    const body = c.req.valid('json');
    inScopeOr404(c, await models.get(body.modelId), 'model');
    return c.json(faults.set(body, c.get('principal').sub), 201);
  });

  app.openapi(listFaultsRoute, (c) => c.json({ items: faults.list() }, 200));

  app.openapi(deleteFaultRoute, (c) => {
    if (!faults.delete(c.req.valid('param').modelId)) throw notFound('fault');
    return c.body(null, 204);
  });

  return app;
}
