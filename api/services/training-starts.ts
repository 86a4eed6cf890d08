import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from '../../config/logger';
import type { JobAwaitingStart, TrainingJobStore } from '../../db/stores/training-jobs';
import { startTrainingPipeline } from '../../temporal/starters';

/** How often the dispatcher looks for jobs whose workflow Temporal has not taken. */
const SWEEP_EVERY_MS = 1_000;
/** Younger jobs are left to the process that took them, which may still be starting them. */
const SWEEP_AFTER_MS = 2_000;
const SWEEP_BATCH = 100;
/** A start that failed is tried again after 1 s, 2 s, 4 s … at most a minute apart. */
const RETRY_MAX_MS = 60_000;
/**
 * Starts sent at once by one process. More do not make Temporal take them faster: on a busy server
 * they queue there, and slow every other call of this process (requests included) while they wait.
 */
export const MAX_STARTS_IN_FLIGHT = 16;
/** Jobs kept in memory for a free slot; past that they wait in the table for the sweep. */
const MAX_QUEUED = 10_000;

/**
 * Training jobs' workflow starts, from the outbox their rows are (migration 0019). The API commits
 * a job with the task queue and input its workflow is started with, then hands it here: with a
 * free slot its start is sent at once and the request waits a bounded time for it; without one the
 * job joins this process's queue and the request is answered at once. Whatever is still not started
 * after that — Temporal slow or down, the start refused for a while, the process gone — is found by
 * the sweep (every second, in every API process). Starting a job twice is harmless: the second
 * start joins the run, or finds it closed (temporal/starters.ts), so processes need no lock.
 */
export function createTrainingStarts({
  temporal,
  trainingJobs,
  logger,
}: {
  temporal: Client;
  trainingJobs: TrainingJobStore;
  logger: Logger;
}) {
  const inFlight = new Map<string, Promise<void>>();
  /** Waiting for a slot, oldest first (a Map keeps insertion order). */
  const queued = new Map<string, JobAwaitingStart>();
  const retries = new Map<string, { attempts: number; at: number }>();

  async function send(job: JobAwaitingStart): Promise<void> {
    try {
      // On the task queue the API that took the job chose: every API process starts any job.
      const { taskQueue, input } = job.workflowStart!;
      await startTrainingPipeline(temporal, taskQueue, input, job.createdBy);
    } catch (err) {
      // A run of this ID already closed: Temporal took this job's start before.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await trainingJobs.markWorkflowStarted(job.id);
    retries.delete(job.id);
  }

  /** Sends the job's start now (one per job at a time); resolves once the row says Temporal has it. */
  function launch(job: JobAwaitingStart): Promise<void> {
    queued.delete(job.id);
    let started = inFlight.get(job.id);
    if (!started) {
      started = send(job)
        .catch((err: Error) => {
          const attempts = (retries.get(job.id)?.attempts ?? 0) + 1;
          retries.set(job.id, { attempts, at: Date.now() + Math.min(RETRY_MAX_MS, 1_000 * 2 ** (attempts - 1)) });
          logger.warn(
            { err: err.message, jobId: job.id, attempts },
            'training: starting the workflow failed; retrying',
          );
          throw err;
        })
        .finally(() => {
          inFlight.delete(job.id);
          pump();
        });
      inFlight.set(job.id, started);
    }
    return started;
  }

  /** Fills the free slots from the queue. */
  function pump(): void {
    for (const job of queued.values()) {
      if (inFlight.size >= MAX_STARTS_IN_FLIGHT) return;
      launch(job).catch(() => undefined); // logged and scheduled again by launch()
    }
  }

  const enqueue = (job: JobAwaitingStart) => {
    if (!inFlight.has(job.id) && queued.size < MAX_QUEUED) queued.set(job.id, job);
  };

  let sweeping = false;
  async function sweep(): Promise<void> {
    if (sweeping) return;
    sweeping = true;
    try {
      const now = Date.now();
      const due = (await trainingJobs.awaitingStart(SWEEP_AFTER_MS, SWEEP_BATCH)).filter(
        (job) => !inFlight.has(job.id) && !queued.has(job.id) && (retries.get(job.id)?.at ?? 0) <= now,
      );
      due.forEach(enqueue);
      pump();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'training: reading the jobs awaiting their workflow failed');
    } finally {
      sweeping = false;
    }
  }
  const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS);
  timer.unref();

  /** A row made without a start (before the outbox, or by hand) has none to send. */
  const nothingToSend = (job: JobAwaitingStart) => job.workflowStartedAt !== null || job.workflowStart === null;

  return {
    /**
     * Starts the job's workflow, waiting at most `waitMs`: true once Temporal has it; false when
     * the wait ran out, the start failed or every slot was taken — the job then goes on from the
     * queue or the sweep.
     */
    async startWithin(job: JobAwaitingStart, waitMs: number): Promise<boolean> {
      if (nothingToSend(job)) return job.workflowStartedAt !== null;
      if (!inFlight.has(job.id) && inFlight.size >= MAX_STARTS_IN_FLIGHT) {
        enqueue(job);
        return false;
      }
      const started = launch(job).then(
        () => true,
        () => false,
      );
      let timeout: NodeJS.Timeout | undefined;
      const waited = new Promise<false>((resolve) => {
        timeout = setTimeout(() => resolve(false), waitMs);
      });
      try {
        return await Promise.race([started, waited]);
      } finally {
        clearTimeout(timeout);
      }
    },

    /** Starts the job's workflow unless it has started (a slot or not), throwing what Temporal answered. */
    async ensureStarted(job: JobAwaitingStart): Promise<void> {
      if (!nothingToSend(job)) await launch(job);
    },

    /** Stops the sweep and the queue; starts already sent get until `deadline` (epoch ms) to be recorded. */
    async close(deadline = Date.now() + 2_000): Promise<void> {
      clearInterval(timer);
      queued.clear(); // their rows stay unstarted: another process's sweep, or this one's next run, sends them
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(inFlight.values()),
        new Promise((resolve) => {
          timeout = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timeout);
    },
  };
}

export type TrainingStarts = ReturnType<typeof createTrainingStarts>;
