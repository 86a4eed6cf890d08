import type { Context } from 'hono';
import { policy } from '../auth/route-policy';
import { inScopeOr404, listScope } from '../auth/scope';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { startDeliverAlertChange } from '../../temporal/starters';
import type { ApiDeps, AppEnv } from '../deps';
import { conflict } from '../errors';
import { authErrors, conflictError, jsonBody, jsonResponse, notFoundError, UuidParam } from '../schemas/common';
import { AlertList, AlertListQuery, AlertmanagerWebhook, AlertSchema } from '../schemas/performance';

const security = [{ bearerAuth: [] }];
const tags = ['alerts'];

const listRoute = createRoute({
  method: 'get',
  path: '/alerts',
  operationId: 'listAlerts',
  ...policy({ access: 'read', scope: 'list' }),
  tags,
  summary: 'Alerts, newest first (one per fingerprint while open; repeats raise its count)',
  security,
  request: { query: AlertListQuery },
  responses: { 200: jsonResponse(AlertList, 'Alerts'), ...authErrors },
});
const transition = (action: 'acknowledge' | 'resolve', summary: string, description?: string) =>
  createRoute({
    method: 'post',
    path: `/alerts/{id}/${action}`,
    operationId: `${action}Alert`,
    ...policy({ access: 'write', scope: 'object' }),
    tags,
    summary,
    description,
    security,
    request: { params: UuidParam },
    responses: { 200: jsonResponse(AlertSchema, 'The alert'), ...authErrors, ...notFoundError, ...conflictError },
  });

const prometheusRoute = createRoute({
  method: 'post',
  path: '/alerts/prometheus',
  operationId: 'receivePrometheusAlerts',
  ...policy({ access: 'write', scope: 'every' }),
  tags,
  summary: "Alertmanager's webhook: platform alerts join the watchdog's in one alert list",
  description:
    'One row per Alertmanager fingerprint while firing (class "prometheus"); a resolved notification resolves it. Re-notifications refresh last_seen.',
  security,
  request: { body: jsonBody(AlertmanagerWebhook) },
  responses: { 200: jsonResponse(z.object({ recorded: z.number().int() }), 'Recorded'), ...authErrors },
});

export function createAlertRoutes({ config, temporal, stores: { alerts } }: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const find = async (c: Context<AppEnv>, id: string) => inScopeOr404(c, await alerts.byId(id), 'alert');

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    return c.json({ items: await alerts.list({ ...q, within: listScope(c) }) }, 200);
  });

  // firing → acknowledged → resolved; acknowledging twice is harmless, anything else after resolved is a conflict.
  app.openapi(
    transition('acknowledge', 'Acknowledge a firing alert (it stays open: repeats still count)'),
    async (c) => {
      const { id } = c.req.valid('param');
      if ((await find(c, id)).status === 'resolved') throw conflict('the alert is resolved');
      await alerts.acknowledge(id, c.get('principal').sub);
      return c.json(await find(c, id), 200);
    },
  );

  app.openapi(
    transition(
      'resolve',
      'Resolve an alert by hand (the watchdog resolves its own on recovery)',
      "The resolution is delivered to the alert webhook like a watchdog's (workflow `alert-<id>-resolved`, retried through an outage); resolving twice is harmless.",
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      if ((await find(c, id)).status !== 'resolved')
        await alerts.resolveByHand(id, `resolved by ${c.get('principal').sub}`);
      const resolved = await find(c, id);
      // The receiver hears of it as of a watchdog's resolve, by a workflow of its own (retried through
      // an outage). Until it was delivered, a repeat of this request joins that workflow, or starts it
      // when Temporal was down the first time. Alertmanager's own alerts are resolved by Alertmanager.
      if (resolved.deliveredStatus !== 'resolved' && resolved.alertClass !== 'prometheus') {
        const change = { alertId: id, status: 'resolved' as const, count: resolved.count };
        await startDeliverAlertChange(temporal, config.temporal.taskQueue, change, resolved.specialization);
      }
      return c.json(resolved, 200);
    },
  );

  app.openapi(prometheusRoute, async (c) => {
    const { alerts: notified } = c.req.valid('json');
    for (const alert of notified) await alerts.recordPrometheus(alert);
    return c.json({ recorded: notified.length }, 200);
  });

  return app;
}
