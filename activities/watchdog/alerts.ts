import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { FailureType } from '../../workflows/failures';
import type { AlertClass } from '../../workflows/watchdog/types';
import { deliverJson } from '../http-delivery';

export type AlertStatus = 'firing' | 'acknowledged' | 'resolved';

export interface Alert {
  id: string;
  fingerprint: string;
  specialization: string;
  modelId: string | null;
  alertClass: AlertClass;
  severity: 'warning' | 'critical';
  status: AlertStatus;
  summary: string | null;
  details: Record<string, unknown> | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  deliveredStatus: string | null;
  deliveredAt: string | null;
}

/** One alert per (specialization, model, class) while it is open: repeats update it. */
export const alertFingerprint = (specialization: string, modelId: string | null, alertClass: AlertClass) =>
  createHash('sha256').update(`${specialization}\u0000${modelId ?? '-'}\u0000${alertClass}`).digest('hex').slice(0, 32);

export const ALERT_COLUMNS = `id, fingerprint, specialization, model_id AS "modelId", alert_class AS "alertClass", severity, status, summary, details, count,
  first_seen AS "firstSeen", last_seen AS "lastSeen", acknowledged_at AS "acknowledgedAt", acknowledged_by AS "acknowledgedBy",
  resolved_at AS "resolvedAt", delivered_status AS "deliveredStatus", delivered_at AS "deliveredAt"`;

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
export const toAlert = (r: Alert): Alert => ({ ...r, firstSeen: iso(r.firstSeen)!, lastSeen: iso(r.lastSeen)!, acknowledgedAt: iso(r.acknowledgedAt), resolvedAt: iso(r.resolvedAt), deliveredAt: iso(r.deliveredAt) });

export interface RaiseAlertInput {
  alertClass: AlertClass;
  specialization: string;
  modelId: string | null;
  severity: 'warning' | 'critical';
  summary: string;
  details: Record<string, unknown>;
  /** The decision's key: a retry with the same key counts once. */
  key: string;
}

/** Where and how alerts are delivered (Alertmanager's webhook format, version 4). */
export interface AlertDeliveryDeps {
  sequelize: Sequelize;
  alertWebhookUrl: string | undefined;
  /** Link to where an operator sees the alert (the API's alert list). */
  externalUrl: string;
}

export const ALERT_WEBHOOK_TIMEOUT_MS = 10_000;

/** The webhook body for one alert in one status: Alertmanager's shape, so its receivers work unchanged. */
export function alertWebhookPayload(alert: Alert, status: 'firing' | 'resolved', externalUrl: string) {
  const labels = { alertname: alert.alertClass, specialization: alert.specialization, model_id: alert.modelId ?? '', severity: alert.severity, service: 'neuroweaver' };
  return {
    version: '4',
    receiver: 'neuroweaver',
    status,
    groupKey: alert.fingerprint,
    truncatedAlerts: 0,
    groupLabels: { alertname: alert.alertClass, specialization: alert.specialization },
    commonLabels: labels,
    commonAnnotations: { summary: alert.summary ?? '' },
    externalURL: externalUrl,
    alerts: [
      {
        status,
        labels,
        annotations: { summary: alert.summary ?? '', count: String(alert.count), alert_id: alert.id },
        startsAt: alert.firstSeen,
        endsAt: status === 'resolved' ? (alert.resolvedAt ?? alert.lastSeen) : '0001-01-01T00:00:00Z',
        generatorURL: `${externalUrl}/api/v1/alerts?specialization=${encodeURIComponent(alert.specialization)}`,
        fingerprint: alert.fingerprint,
      },
    ],
  };
}

export function createAlertActivities({ sequelize, alertWebhookUrl, externalUrl }: AlertDeliveryDeps) {
  const byId = async (id: string) => {
    const [row] = await sequelize.query<Alert>(`SELECT ${ALERT_COLUMNS} FROM performance_alerts WHERE id = $1`, { bind: [id], type: QueryTypes.SELECT });
    return row ? toAlert(row) : undefined;
  };

  return {
    /**
     * Opens the alert of (specialization, model, class), or counts a repeat on the open one. `changed`
     * says whether this key raised or counted it (true again on a retry of the same key, so the
     * delivery it calls for is never lost; the delivery itself is idempotent).
     */
    async raiseAlert(p: RaiseAlertInput): Promise<{ alertId: string; fingerprint: string; count: number; changed: boolean }> {
      const fingerprint = alertFingerprint(p.specialization, p.modelId, p.alertClass);
      const details = JSON.stringify({ ...p.details, lastKey: p.key });
      await sequelize.query(
        `INSERT INTO performance_alerts (fingerprint, specialization, model_id, alert_class, severity, summary, details)
         VALUES ($1, $2, $3, $4, $5, $6, CAST($7 AS jsonb))
         ON CONFLICT (fingerprint) WHERE status <> 'resolved' DO UPDATE
            SET count = performance_alerts.count + 1, last_seen = NOW(), severity = EXCLUDED.severity,
                summary = EXCLUDED.summary, details = EXCLUDED.details
          WHERE performance_alerts.details->>'lastKey' IS DISTINCT FROM EXCLUDED.details->>'lastKey'`,
        { bind: [fingerprint, p.specialization, p.modelId, p.alertClass, p.severity, p.summary, details] },
      );
      const [row] = await sequelize.query<{ id: string; count: number; lastKey: string | null }>(
        `SELECT id, count, details->>'lastKey' AS "lastKey" FROM performance_alerts WHERE fingerprint = $1 AND status <> 'resolved'`,
        { bind: [fingerprint], type: QueryTypes.SELECT },
      );
      return { alertId: row.id, fingerprint, count: row.count, changed: row.lastKey === p.key };
    },

    /** Resolves the open alert of (specialization, model, class), if any; answers what it resolved (again on a retry). */
    async resolveAlerts(p: { specialization: string; modelId: string | null; alertClass: AlertClass; reason: string; key: string }): Promise<{ alertId: string; count: number }[]> {
      const fingerprint = alertFingerprint(p.specialization, p.modelId, p.alertClass);
      await sequelize.query(
        `UPDATE performance_alerts SET status = 'resolved', resolved_at = NOW(),
                details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('resolution', CAST($2 AS text), 'resolveKey', CAST($3 AS text))
          WHERE fingerprint = $1 AND status <> 'resolved'`,
        { bind: [fingerprint, p.reason, p.key] },
      );
      const rows = await sequelize.query<{ id: string; count: number }>(
        `SELECT id, count FROM performance_alerts WHERE fingerprint = $1 AND status = 'resolved' AND details->>'resolveKey' = $2`,
        { bind: [fingerprint, p.key], type: QueryTypes.SELECT },
      );
      return rows.map((r) => ({ alertId: r.id, count: r.count }));
    },

    /**
     * POSTs the alert to ALERT_WEBHOOK_URL (Alertmanager webhook format). The Idempotency-Key is the
     * fingerprint, status and count, so a receiver sees each change once however often it is retried.
     */
    async deliverAlert(p: { alertId: string; status: 'firing' | 'resolved'; count: number }): Promise<{ status: number; skipped?: true }> {
      const alert = await byId(p.alertId);
      if (!alert) return { status: 0, skipped: true };
      if (!alertWebhookUrl) return { status: 0, skipped: true };
      const { status } = await deliverJson({
        receiver: 'alert webhook',
        method: 'POST',
        url: alertWebhookUrl,
        body: alertWebhookPayload({ ...alert, count: p.count }, p.status, externalUrl),
        headers: { 'idempotency-key': `${alert.fingerprint}:${p.status}:${p.count}`, 'x-neuroweaver-fingerprint': alert.fingerprint },
        timeoutMs: ALERT_WEBHOOK_TIMEOUT_MS,
        rejectedType: FailureType.AlertWebhookRejected,
      });
      await sequelize.query('UPDATE performance_alerts SET delivered_status = $2, delivered_at = NOW() WHERE id = $1', { bind: [p.alertId, p.status] });
      return { status };
    },
  };
}
