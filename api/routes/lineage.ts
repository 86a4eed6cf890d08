import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { policy } from '../auth/route-policy';
import { inScopeOr404 } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { authErrors, jsonResponse, notFoundError, UuidParam } from '../schemas/common';
import { LINEAGE_LIMIT, ModelLineage } from '../schemas/lineage';
import { deploymentSummary, trainingJobView } from '../views';
import { workflowUrl } from '../web-ui';

const lineageRoute = createRoute({
  method: 'get',
  path: '/models/{id}/lineage',
  operationId: 'getModelLineage',
  ...policy({ access: 'read', scope: 'object' }),
  tags: ['models'],
  summary:
    'Where a model came from and what it did: training job → model version → deployments → switch events and alerts',
  security: [{ bearerAuth: [] }],
  request: { params: UuidParam },
  responses: { 200: jsonResponse(ModelLineage, 'The lineage'), ...authErrors, ...notFoundError },
});

export function createLineageRoutes({ config, stores }: Pick<ApiDeps, 'config' | 'stores'>) {
  const app = new OpenAPIHono<AppEnv>();
  const link = (workflowId: string, runId?: string) =>
    workflowUrl(config.temporal.uiUrl, config.temporal.namespace, workflowId, runId);

  app.openapi(lineageRoute, async (c) => {
    const modelId = c.req.valid('param').id;
    const model = inScopeOr404(c, await stores.models.get(modelId), 'model');
    const [job, deployments, switchEvents, alerts] = await Promise.all([
      stores.trainingJobs.producerOf(modelId),
      stores.deployments.list({ modelId }, 0, LINEAGE_LIMIT),
      stores.switchEvents.list({ modelId }, LINEAGE_LIMIT),
      stores.alerts.list({ modelId, limit: LINEAGE_LIMIT }),
    ]);
    return c.json(
      {
        model,
        trainingJob: job && trainingJobView(job, null, link),
        deployments: deployments.items.map((d) => deploymentSummary(d, link)),
        switchEvents,
        alerts,
      },
      200,
    );
  });

  return app;
}
