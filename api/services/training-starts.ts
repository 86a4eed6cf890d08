import {
  isGrpcServiceError,
  NamespaceNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  type Client,
} from '@temporalio/client';
import type { Logger } from '../../config/logger';
import { activeTrace, inTrace, type TraceContext } from '../../config/tracing';
import type { JobAwaitingStart, TrainingJobStore } from '../../db/stores/training-jobs';
import { startTrainingPipeline } from '../../temporal/starters';
import { createStartPace } from './start-pace';

/** How often the dispatcher claims jobs whose start is due. */
const SWEEP_EVERY_MS = 1_000;
/**
 * How long a process's claim on a job's start keeps other processes off it: long enough for a
 * burst queued here to be sent (a job still unsent past it is claimed by another, which is harmless).
 */
export const START_LEASE_MS = 30_000;
/** A start that failed is due again after 1 s, 2 s, 4 s … at most a minute apart. */
const RETRY_MAX_MS = 60_000;
/** How long one start may take before it counts as failed (a server that accepts and never answers). */
const START_DEADLINE_MS = 10_000;
/**
 * Starts sent at once by one process. More do not make Temporal take them faster: on a busy server
 * they queue there, and slow every other call of this process (requests included) while they wait.
 */
export const MAX_STARTS_IN_FLIGHT = 16;
/**
 * How far back the starts that tell how long Temporal takes are looked at: a burst's pace is seen
 * at once, and a server that has caught up is waited for again within seconds.
 */
const PACE_WINDOW_MS = 5_000;
/** Jobs held in memory for a free slot; past that they wait in the table for a claim. */
const MAX_QUEUED = 1_000;
/**
 * Answers that no retry changes (an unknown namespace, the input rejected): after
 * this many the job fails with the reason, rather than waiting for a start that never comes.
 * Everything else (Temporal down, overloaded, timing out) is retried for as long as it lasts.
 */
const PERMANENT_CODES = new Set([
  3 /* INVALID_ARGUMENT */, 5 /* NOT_FOUND */, 9 /* FAILED_PRECONDITION */, 12 /* UNIMPLEMENTED */,
]);
const PERMANENT_ATTEMPTS = 5;

/** The gRPC error under what the client threw (it wraps it with a message of its own). */
const grpcCause = (err: Error) => (isGrpcServiceError(err.cause) ? err.cause : isGrpcServiceError(err) ? err : null);
const permanent = (err: Error): boolean =>
  err instanceof NamespaceNotFoundError || PERMANENT_CODES.has(grpcCause(err)?.code ?? -1);
/** What Temporal said, not just the client's wrapper ("Failed to start Workflow"). */
const reason = (err: Error): string => {
  const details = grpcCause(err)?.details;
  return details && !err.message.includes(details) ? `${err.message}: ${details}` : err.message;
};

/**
 * Training jobs' workflow starts, from the outbox their rows are (migration 0019). The API commits
 * a job with the task queue and input its workflow is started with, holding a claim on sending it,
 * and hands it here: with a free slot its start is sent at once and the request waits a bounded
 * time for it; without one the job joins this process's queue and the request is answered at once.
 * A start that fails is put off in the row (back-off), for whichever process claims it next; every
 * process claims due starts once a second — Temporal was down, the process that made the job is
 * gone, its claim ran out. Sending a start twice is harmless (the second joins the run, or finds it
 * closed: temporal/starters.ts); the claims only keep it rare.
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
  /** Claimed here and waiting for a slot, oldest first (a Map keeps insertion order). */
  const queued = new Map<string, JobAwaitingStart>();
  /**
   * The trace of the request that handed a job here, until its start is sent: a start sent later
   * from the queue runs in whichever context freed the slot (another job's request, the sweep's
   * timer), and would join that trace or none. A job claimed by a sweep has none.
   */
  const traces = new Map<string, TraceContext>();
  /** How long Temporal's answers to the starts sent from here have lately taken. */
  const pace = createStartPace({ windowMs: PACE_WINDOW_MS });
  let closed = false;

  async function send(job: JobAwaitingStart): Promise<void> {
    const sentAt = performance.now();
    try {
      // On the task queue the API that took the job chose: every API process starts any job.
      const { taskQueue, input } = job.workflowStart!;
      await inTrace(traces.get(job.id), () =>
        temporal.withDeadline(Date.now() + START_DEADLINE_MS, () =>
          startTrainingPipeline(temporal, taskQueue, input, job.createdBy),
        ),
      );
    } catch (err) {
      // A run of this ID already closed: Temporal took this job's start before.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    } finally {
      // Refusals and timeouts too: what a request would have waited for an answer.
      pace.record(performance.now() - sentAt);
    }
    await trainingJobs.markWorkflowStarted(job.id);
  }

  async function failed(job: JobAwaitingStart, err: Error): Promise<void> {
    const attempts = await trainingJobs.deferStart(job.id, RETRY_MAX_MS);
    if (permanent(err) && attempts >= PERMANENT_ATTEMPTS) {
      await trainingJobs.failStart(job.id, `its workflow could not be started: ${reason(err)}`);
      logger.error(
        { err: reason(err), jobId: job.id, attempts },
        'training: Temporal refused the workflow; job failed',
      );
    } else {
      logger.warn({ err: reason(err), jobId: job.id, attempts }, 'training: starting the workflow failed; retrying');
    }
  }

  /** Sends the job's start now (one per job at a time); resolves once the row says Temporal has it. */
  function launch(job: JobAwaitingStart): Promise<void> {
    queued.delete(job.id);
    let started = inFlight.get(job.id);
    if (!started) {
      started = send(job)
        .catch(async (err: Error) => {
          await failed(job, err).catch((recording: Error) =>
            logger.warn({ err: recording.message, jobId: job.id }, 'training: recording a failed start failed'),
          );
          throw err;
        })
        .finally(() => {
          inFlight.delete(job.id);
          traces.delete(job.id);
          pump();
        });
      inFlight.set(job.id, started);
    }
    return started;
  }

  /** Fills the free slots from the queue. */
  function pump(): void {
    for (const job of queued.values()) {
      if (closed || inFlight.size >= MAX_STARTS_IN_FLIGHT) return;
      launch(job).catch(() => undefined); // recorded (and put off) by launch()
    }
  }

  let sweeping = false;
  async function sweep(): Promise<void> {
    if (sweeping || closed || queued.size >= MAX_QUEUED) return;
    sweeping = true;
    try {
      const due = await trainingJobs.claimDueStarts(Math.min(100, MAX_QUEUED - queued.size), START_LEASE_MS);
      for (const job of due) if (!inFlight.has(job.id)) queued.set(job.id, job);
      pump();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'training: claiming the jobs awaiting their workflow failed');
    } finally {
      sweeping = false;
    }
  }
  const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS);
  timer.unref();

  /** A row made without a start (before the outbox, or by hand) has none to send. */
  const nothingToSend = (job: JobAwaitingStart) => job.workflowStartedAt !== null || job.workflowStart === null;

  return {
    /** The claim a process takes on a job it makes: no other sends its start before this. */
    claimUntil: () => new Date(Date.now() + START_LEASE_MS),

    /**
     * Starts the job's workflow, waiting at most `waitMs`: true once Temporal has it; false when
     * the wait ran out, the start failed or every slot was taken — the job then goes on from the
     * queue, or from a later claim. Sent without waiting when Temporal's answers have lately taken
     * longer than `waitMs` (a burst, a slow server): the wait would only run out.
     */
    async startWithin(job: JobAwaitingStart, waitMs: number): Promise<boolean> {
      if (nothingToSend(job)) return job.workflowStartedAt !== null;
      if (!inFlight.has(job.id)) traces.set(job.id, activeTrace());
      if (!inFlight.has(job.id) && (closed || inFlight.size >= MAX_STARTS_IN_FLIGHT)) {
        if (!closed && queued.size < MAX_QUEUED) queued.set(job.id, job);
        else traces.delete(job.id); // its claim runs out
        return false;
      }
      if ((pace.typicalMs() ?? 0) > waitMs) {
        launch(job).catch(() => undefined); // recorded (and put off) by launch()
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
      if (nothingToSend(job)) return;
      if (!inFlight.has(job.id)) traces.set(job.id, activeTrace());
      await launch(job);
    },

    /**
     * Stops claiming; starts already sent get until `deadline` (epoch ms), two seconds at most, and
     * the claims on the jobs still queued or unanswered are given up, for any process to send.
     */
    async close(deadline = Infinity): Promise<void> {
      closed = true;
      clearInterval(timer);
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(inFlight.values()),
        new Promise((resolve) => {
          timeout = setTimeout(resolve, Math.max(0, Math.min(deadline, Date.now() + 2_000) - Date.now()));
        }),
      ]);
      clearTimeout(timeout);
      // What is still queued or unanswered is another process's to send now, not after the claim.
      const unsent = [...queued.keys(), ...inFlight.keys()];
      queued.clear();
      traces.clear();
      await trainingJobs
        .releaseStarts(unsent)
        .catch((err: Error) => logger.warn({ err: err.message }, 'training: releasing unsent starts failed'));
    },
  };
}

export type TrainingStarts = ReturnType<typeof createTrainingStarts>;
