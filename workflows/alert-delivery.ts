import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { undeliverableReason } from './deliveries';
import { DELIVERY_RETRY } from './failures';

export interface AlertChange {
  alertId: string;
  status: 'firing' | 'resolved';
  count: number;
}

export interface AlertDeliveryResult {
  delivered: boolean;
  /** Why not: no webhook configured, or the receiver refused it ("undeliverable: 400 …"). */
  reason: string | null;
}

const delivery = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: DELIVERY_RETRY });

/** One alert change, by its alert's ID and status: a manual resolve answered at once, delivered for as long as an outage lasts. */
export const alertDeliveryWorkflowId = (change: Pick<AlertChange, 'alertId' | 'status'>) =>
  `alert-${change.alertId}-${change.status}`;

/**
 * Delivers one alert change to the webhook — for changes made outside a watchdog (an operator's
 * resolve), which has no workflow of its own to deliver from. A refusal is on the alert's row (the
 * activity writes it) and in the result; it never fails the workflow.
 */
export async function deliverAlertChange(change: AlertChange): Promise<AlertDeliveryResult> {
  try {
    const { skipped } = await delivery.deliverAlert(change);
    return skipped
      ? { delivered: false, reason: 'no alert webhook is configured (ALERT_WEBHOOK_URL), or the alert is gone' }
      : { delivered: true, reason: null };
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { delivered: false, reason: undeliverableReason(err) };
  }
}
