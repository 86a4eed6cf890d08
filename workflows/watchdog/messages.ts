/** How callers talk to a running watchdog (its ID, its state query, its signals and its update), and how it listens. */
import { defineQuery, defineSignal, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';
import type { IncidentReport, RollbackRequest, WatchdogRunState, WatchdogStateView } from './types';

export const watchdogWorkflowId = (specialization: string) => `watchdog-${specialization}`;

export const watchdogStateQuery = defineQuery<WatchdogStateView>('state');
/** A burst of errors seen outside the recorded traffic: counted into the primary's next window, evaluated at once. */
export const reportIncidentSignal = defineSignal<[IncidentReport]>('reportIncident');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Switches back to the primary now (cooldown and streaks aside); refused unless failed over. */
export const rollbackUpdate = defineUpdate<{ accepted: true }, [RollbackRequest]>('rollback');

/**
 * Answers the query and takes the signals and the update into the run state; a rollback request
 * waits there (`pendingRollback`, carried over by continue-as-new) for the loop, which takes it
 * through the returned inbox. Refused at once (not queued) unless failed over.
 */
export function listen(s: WatchdogRunState) {
  const info = workflowInfo();
  /** Taken by the loop and not yet done: the routing may already be back while `serving` is not. */
  let underWay = false;
  const serving = () => s.evaluation.serving;
  setHandler(watchdogStateQuery, () => ({ ...s, workflowId: info.workflowId, runId: info.runId, serving: serving() }));
  setHandler(reportIncidentSignal, (incident) => void s.pendingIncidents.push(incident));
  setHandler(pauseSignal, () => void (s.paused = true));
  setHandler(resumeSignal, () => void (s.paused = false));
  setHandler(
    rollbackUpdate,
    (request) => {
      s.pendingRollback = request;
      return { accepted: true };
    },
    {
      validator: (request) => {
        if (!request?.by) throw new Error('rollback needs "by"');
        // Accepted twice, the second would be dropped by the loop once the first has switched back.
        if (s.pendingRollback !== undefined || underWay) throw new Error('a rollback is already under way');
        if (serving() !== 'backup') throw new Error('the primary is serving: there is nothing to roll back');
      },
    },
  );
  return {
    rollbackWanted: () => s.pendingRollback !== undefined,
    /** The rollback asked for, once; under way until `rollbackDone`. */
    takeRollback(): RollbackRequest | undefined {
      const taken = s.pendingRollback;
      s.pendingRollback = undefined;
      underWay = taken !== undefined;
      return taken;
    },
    rollbackDone(): void {
      underWay = false;
    },
  };
}
