import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, AppEnv } from '../deps';
import { conflict, notFound } from '../errors';
import { authErrors, conflictError, jsonBody, jsonResponse, notFoundError, UuidParam } from '../schemas/common';
import { AlertList, AlertListQuery, AlertmanagerWebhook, AlertSchema } from '../schemas/performance';

const security = [{ bearerAuth: [] }];
const tags = ['alerts'];

const listRoute = createRoute({
  method: 'get',
  path: '/alerts',
  tags,
  summary: 'Alerts, newest first (one per fingerprint while open; repeats raise its count)',
  security,
  request: { query: AlertListQuery },
  responses: { 200: jsonResponse(AlertList, 'Alerts'), ...authErrors },
});
const transition = (action: 'acknowledge' | 'resolve', summary: string) =>
  createRoute({
    method: 'post',
    path: `/alerts/{id}/${action}`,
    tags,
    summary,
    security,
    request: { params: UuidParam },
    responses: { 200: jsonResponse(AlertSchema, 'The alert'), ...authErrors, ...notFoundError, ...conflictError },
  });

const prometheusRoute = createRoute({
  method: 'post',
  path: '/alerts/prometheus',
  tags,
  summary: "Alertmanager's webhook: platform alerts join the watchdog's in one alert list",
  description: 'One row per Alertmanager fingerprint while firing (class "prometheus"); a resolved notification resolves it. Re-notifications refresh last_seen.',
  security,
  request: { body: jsonBody(AlertmanagerWebhook) },
  responses: { 200: jsonResponse(z.object({ recorded: z.number().int() }), 'Recorded'), ...authErrors },
});

export function createAlertRoutes({ stores: { alerts } }: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const find = async (id: string) => {
    const alert = await alerts.byId(id);
    if (!alert) throw notFound('alert');
    return alert;
  };

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    return c.json({ items: await alerts.list(q) }, 200);
  });

  // firing → acknowledged → resolved; acknowledging twice is harmless, anything else after resolved is a conflict.
  app.openapi(transition('acknowledge', 'Acknowledge a firing alert (it stays open: repeats still count)'), async (c) => {
    const { id } = c.req.valid('param');
    if ((await find(id)).status === 'resolved') throw conflict('the alert is resolved');
    await alerts.acknowledge(id, c.get('principal').sub);
    return c.json(await find(id), 200);
  });

  app.openapi(transition('resolve', 'Resolve an alert by hand (the watchdog resolves its own on recovery)'), async (c) => {
    const { id } = c.req.valid('param');
    const alert = await find(id);
    if (alert.status === 'resolved') return c.json(alert, 200);
    await alerts.resolveByHand(id, `resolved by ${c.get('principal').sub}`);
    return c.json(await find(id), 200);
  });

  app.openapi(prometheusRoute, async (c) => {
    const { alerts: notified } = c.req.valid('json');
    for (const alert of notified) await alerts.recordPrometheus(alert);
    return c.json({ recorded: notified.length }, 200);
  });

  return app;
}
