import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { QueryTypes } from 'sequelize';
import { ALERT_COLUMNS, toAlert, type Alert } from '../../activities/watchdog/alerts';
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

export function createAlertRoutes({ sequelize }: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const find = async (id: string) => {
    const [row] = await sequelize.query<Alert>(`SELECT ${ALERT_COLUMNS} FROM performance_alerts WHERE id = $1`, { bind: [id], type: QueryTypes.SELECT });
    if (!row) throw notFound('alert');
    return toAlert(row);
  };

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const where: string[] = [];
    const bind: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      bind.push(value);
      where.push(clause.replace('?', `$${bind.length}`));
    };
    if (q.status === 'open') where.push(`status <> 'resolved'`);
    else if (q.status) add('status = ?', q.status);
    if (q.specialization) add('specialization = ?', q.specialization);
    if (q.alertClass) add('alert_class = ?', q.alertClass);
    bind.push(q.limit);
    const rows = await sequelize.query<Alert>(
      `SELECT ${ALERT_COLUMNS} FROM performance_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC LIMIT $${bind.length}`,
      { bind, type: QueryTypes.SELECT },
    );
    return c.json({ items: rows.map(toAlert) }, 200);
  });

  // firing → acknowledged → resolved; acknowledging twice is harmless, anything else after resolved is a conflict.
  app.openapi(transition('acknowledge', 'Acknowledge a firing alert (it stays open: repeats still count)'), async (c) => {
    const { id } = c.req.valid('param');
    const alert = await find(id);
    if (alert.status === 'resolved') throw conflict('the alert is resolved');
    await sequelize.query(`UPDATE performance_alerts SET status = 'acknowledged', acknowledged_at = COALESCE(acknowledged_at, NOW()), acknowledged_by = COALESCE(acknowledged_by, $2) WHERE id = $1 AND status <> 'resolved'`, { bind: [id, c.get('principal').sub] });
    return c.json(await find(id), 200);
  });

  app.openapi(transition('resolve', 'Resolve an alert by hand (the watchdog resolves its own on recovery)'), async (c) => {
    const { id } = c.req.valid('param');
    const alert = await find(id);
    if (alert.status === 'resolved') return c.json(alert, 200);
    await sequelize.query(`UPDATE performance_alerts SET status = 'resolved', resolved_at = NOW(), details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('resolution', CAST($2 AS text)) WHERE id = $1 AND status <> 'resolved'`, { bind: [id, `resolved by ${c.get('principal').sub}`] });
    return c.json(await find(id), 200);
  });

  app.openapi(prometheusRoute, async (c) => {
    const { alerts } = c.req.valid('json');
    for (const a of alerts) {
      const fingerprint = `am:${a.fingerprint}`;
      const specialization = a.labels.specialization ?? a.labels.job ?? 'platform';
      const severity = a.labels.severity === 'critical' ? 'critical' : 'warning';
      const details = JSON.stringify({ labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt, generatorURL: a.generatorURL });
      if (a.status === 'firing') {
        await sequelize.query(
          `INSERT INTO performance_alerts (fingerprint, specialization, alert_class, severity, summary, details)
           VALUES ($1, $2, 'prometheus', $3, $4, CAST($5 AS jsonb))
           ON CONFLICT (fingerprint) WHERE status <> 'resolved' DO UPDATE SET last_seen = NOW(), severity = EXCLUDED.severity, summary = EXCLUDED.summary, details = EXCLUDED.details`,
          { bind: [fingerprint, specialization.slice(0, 100), severity, a.annotations.summary ?? a.labels.alertname ?? 'alert', details] },
        );
      } else {
        await sequelize.query(`UPDATE performance_alerts SET status = 'resolved', resolved_at = NOW(), details = CAST($2 AS jsonb) WHERE fingerprint = $1 AND status <> 'resolved'`, { bind: [fingerprint, details] });
      }
    }
    return c.json({ recorded: alerts.length }, 200);
  });

  return app;
}
