import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { NwKind, NwSpecialization } from '../workflows/search-attributes';
import { watchdogWorkflowId } from '../workflows/watchdog/messages';
import { watchdogScheduleId } from '../workflows/watchdog/supervise-watchdog';

/** How often the Schedule's supervisor makes sure the watchdog runs and evaluates. */
export const SUPERVISION_INTERVAL = '1 minute';

/**
 * The Schedule that keeps a specialization's watchdog alive (`watchdog-<specialization>`), started
 * at once. Shared by `POST /api/v1/watchdogs` and the rollout that promotes a specialization's
 * first model. "exists" when one is there already (paused or not: an operator's pause stands).
 */
export async function createWatchdogSchedule(
  temporal: Client,
  p: { specialization: string; taskQueue: string; note: string },
): Promise<'created' | 'exists'> {
  try {
    await temporal.schedule.create({
      scheduleId: watchdogScheduleId(p.specialization),
      spec: { intervals: [{ every: SUPERVISION_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'superviseWatchdog',
        args: [{ specialization: p.specialization }],
        taskQueue: p.taskQueue,
        workflowId: `${watchdogWorkflowId(p.specialization)}-supervisor`,
        typedSearchAttributes: [
          { key: NwKind, value: 'watchdog' },
          { key: NwSpecialization, value: p.specialization },
        ],
      },
      // A tick that finds the previous one still running is skipped; missed ticks are not replayed.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: SUPERVISION_INTERVAL },
      state: { triggerImmediately: true, note: p.note },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
