import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { DELIVERY_RETRY } from '../failures';

const supervise = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
const delivery = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: DELIVERY_RETRY });

/** The Schedule's action: the watchdog's ID, but another type, so it never collides with the watchdog. */
export const watchdogScheduleId = (specialization: string) => `watchdog-${specialization}`;

/**
 * What each tick of a watchdog's Schedule runs: starts `watchdog-<specialization>` when it is not
 * running (never started, failed, terminated), and when it runs but has not evaluated a window for
 * several intervals (a hung run) raises a "watchdog-stalled" alert instead of staying silent. The
 * alert resolves itself on the first tick that finds the watchdog evaluating again.
 */
export async function superviseWatchdog(input: { specialization: string }): Promise<string> {
  const outcome = await supervise.ensureWatchdogRunning({ specialization: input.specialization });
  if (outcome.alert) await delivery.deliverAlert(outcome.alert);
  return outcome.status;
}
