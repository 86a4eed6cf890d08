/** The watchdog's activities, each group with the timeouts and retries its kind of work needs. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { DELIVERY_RETRY } from '../failures';

export const db = proxyActivities<Activities>({
  // Routing, switch events and alerts: quick transactions, retried until the database answers.
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});
export const observe = proxyActivities<Activities>({
  // A window that cannot be observed is "no data": a few quick attempts, then the next window.
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 3 },
});
export const delivery = proxyActivities<Activities>({
  // Webhook and RelayCore: above their 10 s call timeout; an outage delays a delivery, never loses it.
  startToCloseTimeout: '30 seconds',
  retry: DELIVERY_RETRY,
});
