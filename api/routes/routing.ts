import { requireSpecialization } from '../auth/scope';
import { policy } from '../auth/route-policy';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, AppEnv } from '../deps';
import { notFound } from '../errors';
import { authErrors, jsonResponse, notFoundError } from '../schemas/common';
import { SpecializationOnlyParam } from '../schemas/performance';
import { CurrentRoutingSchema, HistoryQuery, HistorySchema } from '../schemas/routing';
import { workflowUrl } from '../web-ui';

const security = [{ bearerAuth: [] }];
const tags = ['routing'];

const currentRoute = createRoute({
  method: 'get',
  path: '/routing/{specialization}',
  operationId: 'getRouting',
  ...policy({ access: 'read', scope: 'named' }),
  tags,
  summary:
    'What serves the specialization now: stable, canary (with its weight), backup, and the deployment a failover left',
  security,
  request: { params: SpecializationOnlyParam },
  responses: {
    200: jsonResponse(CurrentRoutingSchema, 'The routing row with the model behind each track'),
    ...authErrors,
    ...notFoundError,
  },
});

const historyRoute = createRoute({
  method: 'get',
  path: '/specializations/{specialization}/history',
  operationId: 'getSpecializationHistory',
  ...policy({ access: 'read', scope: 'named' }),
  tags,
  summary: 'Who served when: every change of the routing, newest first, with the decision that made it',
  description:
    'Each item is one period: what served (stable, canary and its weight, backup) from the change until the next one, and the change itself — a canary step, a promotion, a rollback, a watchdog switch or switch back — with its reason, the deployment and workflow behind it and a Web UI link.',
  security,
  request: { params: SpecializationOnlyParam, query: HistoryQuery },
  responses: { 200: jsonResponse(HistorySchema, 'The periods, newest first'), ...authErrors, ...notFoundError },
});

export function createRoutingRoutes({ stores, config }: Pick<ApiDeps, 'stores' | 'config'>) {
  const app = new OpenAPIHono<AppEnv>();
  const link = (workflowId: string | null) =>
    workflowId ? workflowUrl(config.temporal.uiUrl, config.temporal.namespace, workflowId) : null;

  app.openapi(currentRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const routing = await stores.routingChanges.current(specialization);
    if (!routing) throw notFound(`nothing has been routed for ${specialization}`);
    return c.json(routing, 200);
  });

  app.openapi(historyRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const { limit, before } = c.req.valid('query');
    const changes = await stores.routingChanges.list(specialization, limit, before);
    if (!changes.length && !before) throw notFound(`no routing change has been recorded for ${specialization}`);
    // The newest change of a later page was ended by one on the page before it.
    const newestEnd =
      before && changes.length ? await stores.routingChanges.endOf(specialization, changes[0].id) : null;
    const items = changes.map(
      (
        { id, changedAt, stable, canary, backup, failoverFrom, cause, reason, deploymentId, workflowId, decisionKey },
        i,
      ) => ({
        id,
        from: changedAt,
        to: i > 0 ? changes[i - 1].changedAt : newestEnd,
        stable,
        canary,
        backup,
        failoverFrom,
        change: { cause, reason, deploymentId, workflowId, decisionKey, webUiUrl: link(workflowId) },
      }),
    );
    return c.json(
      { specialization, items, nextBefore: changes.length === limit ? changes[changes.length - 1].id : null },
      200,
    );
  });

  return app;
}
