import {
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { startPerformanceWatchdog } from '../../temporal/starters';
import { watchdogStateQuery, watchdogWorkflowId } from '../../workflows/watchdog/messages';
import { watchdogScheduleId } from '../../workflows/watchdog/supervise-watchdog';
import type { createAlertActivities } from './alerts';

export interface SupervisorDeps {
  temporal: Client | undefined;
  taskQueue: string;
  alerts: ReturnType<typeof createAlertActivities>;
}

/** A watchdog that has not evaluated for this many intervals (and at least STALL_MIN_SECONDS) is stalled. */
const STALL_INTERVALS = 3;
const STALL_MIN_SECONDS = 30;
/**
 * How long a tick waits for the watchdog to answer its state query. Without a worker the server
 * would hold the query past the activity's own timeout, and a hung watchdog would never be reported.
 */
const QUERY_DEADLINE_MS = 5_000;
/** The longest a tick waits for the second look at a watchdog that answers but has not evaluated for long. */
const SECOND_LOOK_MAX_SECONDS = 10;

export type SupervisionStatus = 'started' | 'running' | 'paused' | 'stalled' | 'unscheduled';

export function createSupervisorActivities({ temporal, taskQueue, alerts }: SupervisorDeps) {
  return {
    /**
     * The Schedule's tick: the watchdog runs, or is started; a running one that stopped evaluating
     * raises "watchdog-stalled" (returned for delivery), and a stall alert resolves once it evaluates.
     */
    async ensureWatchdogRunning(p: { specialization: string }): Promise<{
      status: SupervisionStatus;
      alert?: { alertId: string; status: 'firing' | 'resolved'; count: number };
    }> {
      if (!temporal) throw new Error('this worker has no Temporal client for supervising watchdogs');
      const tickAt = Date.now();
      const handle = temporal.workflow.getHandle(watchdogWorkflowId(p.specialization));
      let running = false;
      let runStartedAt = tickAt;
      try {
        const description = await handle.describe();
        running = description.status.name === 'RUNNING';
        runStartedAt = description.startTime.getTime();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      if (!running) {
        // A tick that outlived its Schedule (the watchdog was deleted while the tick waited for a
        // worker) must not bring back what an operator stopped.
        if (!(await scheduled(temporal, p.specialization))) return { status: 'unscheduled' };
        try {
          await startPerformanceWatchdog(temporal, taskQueue, p.specialization);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        return { status: 'started' };
      }
      const key = `supervisor:${p.specialization}:${new Date().toISOString().slice(0, 16)}`;
      let view = await look(temporal, p.specialization, tickAt);
      let evaluatedJustNow = false;
      const ageOf = (v: typeof view) =>
        // A run that has not evaluated yet is as old as the run: its first window takes an interval
        // plus the probes, and a tick landing in that gap must not page anyone.
        (tickAt - (v.lastEvaluatedAt ? Date.parse(v.lastEvaluatedAt) : runStartedAt)) / 1_000;
      const grace = (v: typeof view) => Math.max(STALL_INTERVALS * v.interval, STALL_MIN_SECONDS);
      if (view.answered && !view.paused && ageOf(view) > grace(view)) {
        // It answers but has not evaluated for long: after a restart of the stack its overdue window
        // is about to run. A second look shortly after tells a live watchdog from a stalled one.
        const first = view.lastEvaluatedAt;
        await new Promise((r) => setTimeout(r, Math.min(2 * view.interval, SECOND_LOOK_MAX_SECONDS) * 1_000));
        view = await look(temporal, p.specialization, Date.now());
        evaluatedJustNow = view.lastEvaluatedAt !== null && view.lastEvaluatedAt !== first;
      }
      const { lastEvaluatedAt, interval, paused, modelId } = view;
      if (paused) return { status: 'paused' };
      const withinGrace = evaluatedJustNow || ageOf(view) <= grace(view);
      if (withinGrace && !lastEvaluatedAt) return { status: 'running' }; // starting: nothing to resolve until it evaluates
      if (withinGrace) {
        const [resolved] = await alerts.resolveAlerts({
          specialization: p.specialization,
          modelId: null,
          alertClass: 'watchdog-stalled',
          reason: 'the watchdog evaluates again',
          key,
        });
        return resolved
          ? { status: 'running', alert: { alertId: resolved.alertId, status: 'resolved', count: resolved.count } }
          : { status: 'running' };
      }
      const raised = await alerts.raiseAlert({
        alertClass: 'watchdog-stalled',
        specialization: p.specialization,
        modelId: null,
        severity: 'critical',
        summary: `${p.specialization}: the watchdog has not evaluated ${lastEvaluatedAt ? `since ${lastEvaluatedAt}` : 'at all'}`,
        details: { lastEvaluatedAt, evaluationIntervalSeconds: interval, primaryModelId: modelId },
        key,
      });
      return {
        status: 'stalled',
        alert: raised.changed ? { alertId: raised.alertId, status: 'firing', count: raised.count } : undefined,
      };
    },
  };
}

async function scheduled(temporal: Client, specialization: string): Promise<boolean> {
  try {
    await temporal.schedule.getHandle(watchdogScheduleId(specialization)).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** What a tick reads of the running watchdog; `answered: false` when its query found no worker in time. */
async function look(temporal: Client, specialization: string, at: number) {
  const view = {
    answered: false,
    lastEvaluatedAt: null as string | null,
    interval: 5,
    paused: false,
    modelId: null as string | null,
  };
  try {
    const handle = temporal.workflow.getHandle(watchdogWorkflowId(specialization));
    const state = await temporal.withDeadline(at + QUERY_DEADLINE_MS, () => handle.query(watchdogStateQuery));
    return {
      ...view,
      answered: true,
      lastEvaluatedAt: state.lastEvaluatedAt,
      interval: state.evaluationIntervalSeconds,
      paused: state.paused,
      modelId: state.primaryModelId,
    };
  } catch {
    // No answer to a query: no worker runs it, or its workflow task is stuck. Either way, stalled.
    return view;
  }
}
