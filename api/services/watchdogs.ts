import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../../config/env';
import { watchdogStateQuery, watchdogWorkflowId } from '../../workflows/watchdog/messages';
import { watchdogScheduleId } from '../../workflows/watchdog/supervise-watchdog';
import { notFound } from '../errors';
import { queryLive } from '../live-query';
import { workflowUrl } from '../web-ui';

/**
 * A specialization's watchdog as the API shows it: its Schedule (404 when there is none), the
 * workflow it keeps alive, and that workflow's live state when it runs and answers.
 */
export function createWatchdogService(
  temporal: Client,
  { namespace, uiUrl }: Pick<Config['temporal'], 'namespace' | 'uiUrl'>,
) {
  /** The schedule's description; 404 when the specialization has no watchdog. */
  const schedule = async (specialization: string) => {
    try {
      return await temporal.schedule.getHandle(watchdogScheduleId(specialization)).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw notFound(`watchdog for ${specialization}`);
      throw err;
    }
  };
  const view = async (specialization: string) => {
    const { paused } = (await schedule(specialization)).state;
    const workflowId = watchdogWorkflowId(specialization);
    const state = await watchdogState(temporal, workflowId);
    return {
      specialization,
      scheduleId: watchdogScheduleId(specialization),
      workflowId,
      paused,
      running: state !== null,
      webUiUrl: workflowUrl(uiUrl, namespace, workflowId),
      state,
    };
  };
  const running = async (specialization: string) => {
    await schedule(specialization);
    return temporal.workflow.getHandle(watchdogWorkflowId(specialization));
  };
  /**
   * Stop watching: the Schedule goes first, then its tick in flight (one still waiting for a worker
   * would otherwise start the watchdog again after this answered), then the watchdog itself.
   */
  const remove = async (specialization: string) => {
    const { info } = await schedule(specialization);
    await temporal.schedule.getHandle(watchdogScheduleId(specialization)).delete();
    for (const { workflow } of info.runningActions)
      await temporal.workflow
        .getHandle(workflow.workflowId, undefined, { firstExecutionRunId: workflow.firstExecutionRunId })
        .terminate('its watchdog was deleted')
        .catch(ignoreNotFound);
    await temporal.workflow.getHandle(watchdogWorkflowId(specialization)).cancel().catch(ignoreNotFound);
  };

  return { schedule, view, running, remove };
}

/** The running watchdog's `state`, or null when it does not run (or does not answer). */
export async function watchdogState(temporal: Client, workflowId: string): Promise<Record<string, unknown> | null> {
  try {
    const handle = temporal.workflow.getHandle(workflowId);
    if ((await handle.describe()).status.name !== 'RUNNING') return null;
    return (await queryLive(temporal, workflowId, watchdogStateQuery)) as unknown as Record<string, unknown>;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    const e = err as { name?: string };
    // A query nobody answers (no worker yet): the watchdog exists but says nothing now.
    if (e.name === 'QueryNotRegisteredError' || e.name === 'ServiceError' || (e as { code?: number }).code === 4)
      return null;
    throw err;
  }
}

/** Gone already (finished, or never there) is what stopping it wanted. */
export function ignoreNotFound(err: unknown): void {
  if (!(err instanceof WorkflowNotFoundError)) throw err;
}
