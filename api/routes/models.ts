import { annotateSpan } from '../../config/tracing';
import { policy } from '../auth/route-policy';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { ModelVersionExists } from '../../db/stores/models';
import { startValidateModel } from '../../temporal/starters';
import { validationWorkflowId } from '../../workflows/validate-model';
import { inScopeOr404, listScope, requireSpecialization } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { conflict } from '../errors';
import {
  authErrors,
  conflictError,
  jsonBody,
  jsonResponse,
  notFoundError,
  rateLimitedError,
  tooLargeError,
  UuidParam,
  WorkflowStarted,
  withLinks,
} from '../schemas/common';
import { ModelList, ModelListQuery, ModelRegistration, ModelSchema } from '../schemas/models';
import { workflowUrl } from '../web-ui';

const security = [{ bearerAuth: [] }];

const registerRoute = createRoute({
  method: 'post',
  path: '/models/register',
  operationId: 'registerModel',
  ...policy({ access: 'write', scope: 'named' }),
  tags: ['models'],
  summary: 'Register a model version',
  security,
  request: { body: jsonBody(ModelRegistration) },
  responses: {
    201: withLinks(
      jsonResponse(ModelSchema, 'Registered'),
      ['getModel', 'getModelLineage', 'deployModel', 'validateModel'],
      { id: '$response.body#/id' },
    ),
    ...authErrors,
    ...conflictError,
    ...tooLargeError,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/models',
  operationId: 'listModels',
  ...policy({ access: 'read', scope: 'list' }),
  tags: ['models'],
  summary: 'List models (paginated, filterable)',
  security,
  request: { query: ModelListQuery },
  responses: { 200: jsonResponse(ModelList, 'A page of models'), ...authErrors },
});

const getRoute = createRoute({
  method: 'get',
  path: '/models/{id}',
  operationId: 'getModel',
  ...policy({ access: 'read', scope: 'object' }),
  tags: ['models'],
  summary: 'Get one model, with its last validation',
  security,
  request: { params: UuidParam },
  responses: { 200: jsonResponse(ModelSchema, 'The model'), ...authErrors, ...notFoundError },
});

const validateRoute = createRoute({
  method: 'post',
  path: '/models/{id}/validate',
  operationId: 'validateModel',
  ...policy({ access: 'write', scope: 'object', limit: 'workflow-starts' }),
  tags: ['models'],
  summary: "Start the validateModel workflow on the model's artifact",
  description: 'One validation per model at a time: while one runs, this answers with the running workflow.',
  security,
  request: { params: UuidParam },
  responses: {
    202: jsonResponse(WorkflowStarted, 'Validation started'),
    ...authErrors,
    ...notFoundError,
    ...rateLimitedError,
  },
});

export function createModelRoutes({
  config,
  temporal,
  stores: { models },
}: Pick<ApiDeps, 'config' | 'temporal' | 'stores'>) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(registerRoute, async (c) => {
    const body = c.req.valid('json');
    requireSpecialization(c, body.specialization);
    try {
      const model = await models.register({
        name: body.name,
        description: body.description ?? null,
        specialization: body.specialization,
        baseModel: body.baseModel,
        version: body.version,
        modelPath: body.modelPath ?? null,
        config: body.config ?? null,
        performanceMetrics: body.performanceMetrics ?? null,
        deploymentConfig: body.deploymentConfig ?? null,
        createdBy: c.get('principal').sub,
      });
      return c.json(model, 201);
    } catch (err) {
      if (err instanceof ModelVersionExists) throw conflict(err.message, { name: body.name, version: body.version });
      throw err;
    }
  });

  app.openapi(listRoute, async (c) => {
    const { skip, limit, specialization, status } = c.req.valid('query');
    const { items, total } = await models.list({ skip, limit, specialization, status, within: listScope(c) });
    return c.json({ items, total, skip, limit }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const model = inScopeOr404(c, await models.get(c.req.valid('param').id), 'model');
    return c.json(model, 200);
  });

  app.openapi(validateRoute, async (c) => {
    const model = inScopeOr404(c, await models.get(c.req.valid('param').id), 'model');
    annotateSpan({ 'workflow.id': validationWorkflowId(model.id), 'model.id': model.id });
    const handle = await startValidateModel(temporal, config.temporal.taskQueue, model);
    const runId = handle.firstExecutionRunId;
    return c.json(
      {
        workflowId: handle.workflowId,
        runId,
        webUiUrl: workflowUrl(config.temporal.uiUrl, config.temporal.namespace, handle.workflowId, runId),
      },
      202,
    );
  });

  return app;
}
