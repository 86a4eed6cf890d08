import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { AlertClass } from '../../workflows/watchdog/types';

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
  createHash('sha256')
    .update(`${specialization}\u0000${modelId ?? '-'}\u0000${alertClass}`)
    .digest('hex')
    .slice(0, 32);

export const ALERT_COLUMNS = `id, fingerprint, specialization, model_id AS "modelId", alert_class AS "alertClass", severity, status, summary, details, count,
  first_seen AS "firstSeen", last_seen AS "lastSeen", acknowledged_at AS "acknowledgedAt", acknowledged_by AS "acknowledgedBy",
  resolved_at AS "resolvedAt", delivered_status AS "deliveredStatus", delivered_at AS "deliveredAt"`;

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
export const toAlert = (r: Alert): Alert => ({
  ...r,
  firstSeen: iso(r.firstSeen)!,
  lastSeen: iso(r.lastSeen)!,
  acknowledgedAt: iso(r.acknowledgedAt),
  resolvedAt: iso(r.resolvedAt),
  deliveredAt: iso(r.deliveredAt),
});

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

export interface AlertFilter {
  /** 'open' is anything not resolved. */
  status?: AlertStatus | 'open';
  specialization?: string;
  alertClass?: string;
  modelId?: string;
  /** Only these specializations (a scoped token's). */
  within?: string[];
  limit: number;
}

/** One Alertmanager alert as its webhook delivers it (platform alerts join the watchdog's list). */
export interface PrometheusAlert {
  status: string;
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** `performance_alerts`: every SQL statement about alerts, for the watchdog's activities and the API. */
export function createAlertStore(sequelize: Sequelize) {
  const byId = async (id: string): Promise<Alert | undefined> => {
    const [row] = await sequelize.query<Alert>(`SELECT ${ALERT_COLUMNS} FROM performance_alerts WHERE id = $1`, {
      bind: [id],
      type: QueryTypes.SELECT,
    });
    return row ? toAlert(row) : undefined;
  };

  return {
    byId,

    async list(filter: AlertFilter): Promise<Alert[]> {
      const where: string[] = [];
      const bind: unknown[] = [];
      const add = (clause: string, value: unknown) => {
        bind.push(value);
        where.push(clause.replace('?', `$${bind.length}`));
      };
      if (filter.status === 'open') where.push(`status <> 'resolved'`);
      else if (filter.status) add('status = ?', filter.status);
      if (filter.specialization) add('specialization = ?', filter.specialization);
      if (filter.alertClass) add('alert_class = ?', filter.alertClass);
      if (filter.modelId) add('model_id = ?', filter.modelId);
      if (filter.within) add('specialization = ANY(?)', filter.within);
      bind.push(filter.limit);
      const rows = await sequelize.query<Alert>(
        `SELECT ${ALERT_COLUMNS} FROM performance_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC LIMIT $${bind.length}`,
        { bind, type: QueryTypes.SELECT },
      );
      return rows.map(toAlert);
    },

    /** How many alerts are open (firing or acknowledged) per specialization (within a scope; undefined = all). */
    async openCounts(within: string[] | undefined): Promise<Record<string, number>> {
      const rows = await sequelize.query<{ specialization: string; open: number }>(
        `SELECT specialization, count(*)::int AS open FROM performance_alerts
          WHERE status <> 'resolved' AND ($1::text[] IS NULL OR specialization = ANY($1::text[])) GROUP BY specialization`,
        { bind: [within ?? null], type: QueryTypes.SELECT },
      );
      return Object.fromEntries(rows.map((r) => [r.specialization, r.open]));
    },

    /** firing → acknowledged; a second acknowledgement keeps the first one's time and author. */
    async acknowledge(id: string, by: string): Promise<void> {
      await sequelize.query(
        `UPDATE performance_alerts SET status = 'acknowledged', acknowledged_at = COALESCE(acknowledged_at, NOW()), acknowledged_by = COALESCE(acknowledged_by, $2) WHERE id = $1 AND status <> 'resolved'`,
        { bind: [id, by] },
      );
    },

    async resolveByHand(id: string, resolution: string): Promise<void> {
      await sequelize.query(
        `UPDATE performance_alerts SET status = 'resolved', resolved_at = NOW(), details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('resolution', CAST($2 AS text)) WHERE id = $1 AND status <> 'resolved'`,
        { bind: [id, resolution] },
      );
    },

    /** One row per Alertmanager fingerprint while firing; a resolved notification resolves it. */
    async recordPrometheus(a: PrometheusAlert): Promise<void> {
      const fingerprint = `am:${a.fingerprint}`;
      const specialization = a.labels.specialization ?? a.labels.job ?? 'platform';
      const severity = a.labels.severity === 'critical' ? 'critical' : 'warning';
      const details = JSON.stringify({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        generatorURL: a.generatorURL,
      });
      if (a.status === 'firing') {
        await sequelize.query(
          `INSERT INTO performance_alerts (fingerprint, specialization, alert_class, severity, summary, details)
           VALUES ($1, $2, 'prometheus', $3, $4, CAST($5 AS jsonb))
           ON CONFLICT (fingerprint) WHERE status <> 'resolved' DO UPDATE SET last_seen = NOW(), severity = EXCLUDED.severity, summary = EXCLUDED.summary, details = EXCLUDED.details`,
          {
            bind: [
              fingerprint,
              specialization.slice(0, 100),
              severity,
              a.annotations.summary ?? a.labels.alertname ?? 'alert',
              details,
            ],
          },
        );
      } else {
        await sequelize.query(
          `UPDATE performance_alerts SET status = 'resolved', resolved_at = NOW(), details = CAST($2 AS jsonb) WHERE fingerprint = $1 AND status <> 'resolved'`,
          { bind: [fingerprint, details] },
        );
      }
    },

    /**
     * Opens the alert of (specialization, model, class), or counts a repeat on the open one. `changed`
     * says whether this key raised or counted it (true again on a retry of the same key, so the
     * delivery it calls for is never lost; the delivery itself is idempotent).
     */
    async raise(
      p: RaiseAlertInput,
    ): Promise<{ alertId: string; fingerprint: string; count: number; changed: boolean }> {
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
    async resolveOpen(p: {
      specialization: string;
      modelId: string | null;
      alertClass: AlertClass;
      reason: string;
      key: string;
    }): Promise<{ alertId: string; count: number }[]> {
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

    async markDelivered(id: string, status: 'firing' | 'resolved'): Promise<void> {
      await sequelize.query('UPDATE performance_alerts SET delivered_status = $2, delivered_at = NOW() WHERE id = $1', {
        bind: [id, status],
      });
    },

    /** The webhook refused the alert (4xx): said on the row, with the receiver's answer in details.undeliverable. */
    async markUndeliverable(id: string, reason: string): Promise<void> {
      await sequelize.query(
        `UPDATE performance_alerts SET delivered_status = 'undeliverable', delivered_at = NOW(),
                details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('undeliverable', CAST($2 AS text)) WHERE id = $1`,
        { bind: [id, reason] },
      );
    },
  };
}

export type AlertStore = ReturnType<typeof createAlertStore>;
