import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from '../../config/logger';
import type { JobAwaitingStart, TrainingJobStore } from '../../db/stores/training-jobs';
import { startTrainingPipeline } from '../../temporal/starters';

/** How often the dispatcher looks for jobs whose workflow Temporal has not taken. */
const SWEEP_EVERY_MS = 1_000;
/** Younger jobs are left to the request that made them, which may still be starting them. */
const SWEEP_AFTER_MS = 2_000;
const SWEEP_BATCH = 100;
/** A start that failed is tried again after 1 s, 2 s, 4 s … at most a minute apart. */
const RETRY_MAX_MS = 60_000;

/**
 * Training jobs' workflow starts, from the outbox their rows are (migration 0019). The API commits
 * a job with the input its workflow is started with, then starts it here: the request waits a
 * bounded time for Temporal, and whatever was not started by then — Temporal slow or down, the start
 * refused for a while, this process gone before it was sent — is started by the dispatcher's sweep
 * (every second, in every API process). Starting a job twice is harmless: the second start joins
 * the run, or finds it closed (temporal/starters.ts), so API processes need no lock between them.
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
  const retries = new Map<string, { attempts: number; at: number }>();

  /** One start per job at a time in this process; resolves once the row says Temporal has it. */
  function start(job: JobAwaitingStart): Promise<void> {
    // A row made without an input (before the outbox, or by hand) has no start to send.
    if (!job.workflowStart) return Promise.resolve();
    let started = inFlight.get(job.id);
    if (!started) {
      started = (async () => {
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
      })()
        .catch((err: Error) => {
          const attempts = (retries.get(job.id)?.attempts ?? 0) + 1;
          retries.set(job.id, { attempts, at: Date.now() + Math.min(RETRY_MAX_MS, 1_000 * 2 ** (attempts - 1)) });
          logger.warn(
            { err: err.message, jobId: job.id, attempts },
            'training: starting the workflow failed; retrying',
          );
          throw err;
        })
        .finally(() => inFlight.delete(job.id));
      inFlight.set(job.id, started);
    }
    return started;
  }

  let sweeping = false;
  async function sweep(): Promise<void> {
    if (sweeping) return;
    sweeping = true;
    try {
      const now = Date.now();
      const due = (await trainingJobs.awaitingStart(SWEEP_AFTER_MS, SWEEP_BATCH)).filter(
        (job) => !inFlight.has(job.id) && (retries.get(job.id)?.at ?? 0) <= now,
      );
      // A failed start is logged and scheduled again by start() itself.
      await Promise.allSettled(due.map(start));
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'training: reading the jobs awaiting their workflow failed');
    } finally {
      sweeping = false;
    }
  }
  const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS);
  timer.unref();

  return {
    /**
     * Starts the job's workflow, waiting at most `waitMs`: true once Temporal has it; false when
     * the wait ran out or the start failed, the job then being the dispatcher's to start.
     */
    async startWithin(job: JobAwaitingStart, waitMs: number): Promise<boolean> {
      if (job.workflowStartedAt) return true;
      const started = start(job).then(
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

    /** Starts the job's workflow unless it has started, throwing what Temporal answered. */
    async ensureStarted(job: JobAwaitingStart): Promise<void> {
      if (!job.workflowStartedAt) await start(job);
    },

    /** Stops the sweep; starts already sent get until `deadline` (epoch ms) to be recorded. */
    async close(deadline = Date.now() + 2_000): Promise<void> {
      clearInterval(timer);
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
