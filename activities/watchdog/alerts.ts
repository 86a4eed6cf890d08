import { ApplicationFailure } from '@temporalio/activity';
import type { Alert, AlertStore, RaiseAlertInput } from '../../db/stores/alerts';
import { FailureType } from '../../workflows/failures';
import type { AlertClass } from '../../workflows/watchdog/types';
import { deliverJson } from '../http-delivery';

/** Where and how alerts are delivered (Alertmanager's webhook format, version 4). */
export interface AlertDeliveryDeps {
  alerts: AlertStore;
  alertWebhookUrl: string | undefined;
  /** Link to where an operator sees the alert (the API's alert list). */
  externalUrl: string;
}

export const ALERT_WEBHOOK_TIMEOUT_MS = 10_000;

/** The webhook body for one alert in one status: Alertmanager's shape, so its receivers work unchanged. */
export function alertWebhookPayload(alert: Alert, status: 'firing' | 'resolved', externalUrl: string) {
  const labels = {
    alertname: alert.alertClass,
    specialization: alert.specialization,
    model_id: alert.modelId ?? '',
    severity: alert.severity,
    service: 'neuroweaver',
  };
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

export function createAlertActivities({ alerts, alertWebhookUrl, externalUrl }: AlertDeliveryDeps) {
  return {
    /** Opens or counts the alert of (specialization, model, class); see AlertStore.raise. */
    raiseAlert: (p: RaiseAlertInput) => alerts.raise(p),

    /** Resolves the open alert of (specialization, model, class), if any; answers what it resolved (again on a retry). */
    resolveAlerts: (p: {
      specialization: string;
      modelId: string | null;
      alertClass: AlertClass;
      reason: string;
      key: string;
    }) => alerts.resolveOpen(p),

    /**
     * POSTs the alert to ALERT_WEBHOOK_URL (Alertmanager webhook format). The Idempotency-Key is the
     * alert row (one per incident: a second incident of the same fingerprint is a new row), status
     * and count, so a receiver sees each change of each incident once however often it is retried.
     */
    async deliverAlert(p: {
      alertId: string;
      status: 'firing' | 'resolved';
      count: number;
    }): Promise<{ status: number; skipped?: true }> {
      const alert = await alerts.byId(p.alertId);
      if (!alert) return { status: 0, skipped: true };
      if (!alertWebhookUrl) return { status: 0, skipped: true };
      let status: number;
      try {
        ({ status } = await deliverJson({
          receiver: 'alert webhook',
          method: 'POST',
          url: alertWebhookUrl,
          body: alertWebhookPayload({ ...alert, count: p.count }, p.status, externalUrl),
          headers: {
            'idempotency-key': `${alert.id}:${p.status}:${p.count}`,
            'x-neuroweaver-fingerprint': alert.fingerprint,
          },
          timeoutMs: ALERT_WEBHOOK_TIMEOUT_MS,
          rejectedType: FailureType.AlertWebhookRejected,
        }));
      } catch (err) {
        // Refused for good: the row says so before the workflow hears of it.
        if (err instanceof ApplicationFailure && err.type === FailureType.AlertWebhookRejected)
          await alerts.markUndeliverable(p.alertId, `undeliverable: ${err.message}`.slice(0, 2_000));
        throw err;
      }
      await alerts.markDelivered(p.alertId, p.status);
      return { status };
    },
  };
}
