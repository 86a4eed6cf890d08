import { randomUUID } from 'node:crypto';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { createTrainingStarts, MAX_STARTS_IN_FLIGHT } from '../api/services/training-starts';
import { createLogger } from '../config/logger';
import { startTracing, stopTracing, tracer } from '../config/tracing';
import { trainingWorkflowId } from '../workflows/training-types';
import { createTestApp, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { eventually } from './helpers/training';

/**
 * The dispatcher of training jobs' workflow starts, against the test Temporal server: a burst of
 * jobs is sent a bounded number at a time (counted at the client, where the calls leave), the
 * requests past the slots are answered at once, and every job's start is sent once and runs once.
 */
describe('training starts from the outbox', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** A job as the route commits it: its start kept in the row, claimed by the process that made it. */
  const waitingJob = (taskQueue: string, startNotBefore: Date) => {
    const id = randomUUID();
    const name = uniqueName('burst');
    return t.stores.trainingJobs.create({
      id,
      name,
      trainingConfig: {},
      dataset: 'automotive-queries',
      createdBy: 'burst',
      idempotencyKey: null,
      workflowId: trainingWorkflowId(id),
      specialization: 'automotive-sales',
      trainer: 'builtin',
      startNotBefore,
      workflowStart: {
        taskQueue,
        input: {
          jobId: id,
          name,
          specialization: 'automotive-sales',
          baseModel: 'builtin',
          dataset: 'automotive-queries',
          trainer: 'builtin',
          hyperparameters: { epochs: 1, batchSize: 32, learningRate: 0.1, seed: 1, hiddenUnits: 0, l2: 0 },
          resources: { gpus: 0 },
          autoDeploy: false,
          trainingTaskQueue: taskQueue,
        },
      },
    });
  };

  /** A dispatcher whose starts leave through `interceptor` (counting them, slowing them) to the test server. */
  const dispatcherThrough = (interceptor: WorkflowClientInterceptor) =>
    createTrainingStarts({
      temporal: new Client({
        connection: t.temporal.connection,
        namespace: t.config.temporal.namespace,
        interceptors: { workflow: [interceptor] },
      }),
      trainingJobs: t.stores.trainingJobs,
      logger: createLogger('test', 'silent'),
    });
  const startedAll = (jobs: { id: string }[], timeoutMs = 30_000) =>
    eventually(
      () => Promise.all(jobs.map((job) => t.stores.trainingJobs.view(job.id))),
      (views) => views.every((job) => job!.workflowStartedAt !== null),
      timeoutMs,
    );
  const terminateAll = (jobs: { workflowId: string | null }[]) =>
    Promise.all(
      jobs.map((job) =>
        t.temporal.workflow
          .getHandle(job.workflowId!)
          .terminate('test done')
          .catch(() => undefined),
      ),
    );

  it('sends at most its slots at once, answers the rest without waiting, and starts every job once', async () => {
    let sending = 0;
    let most = 0;
    const sent = new Map<string, number>();
    const counting: WorkflowClientInterceptor = {
      async startWithDetails(input, next) {
        sent.set(input.options.workflowId, (sent.get(input.options.workflowId) ?? 0) + 1);
        most = Math.max(most, ++sending);
        try {
          return await next(input);
        } finally {
          sending -= 1;
        }
      },
    };
    const starts = dispatcherThrough(counting);
    // No worker polls this queue: the workflows are started, not run.
    const taskQueue = uniqueName('unpolled');
    const jobs = await Promise.all(
      Array.from({ length: 3 * MAX_STARTS_IN_FLIGHT }, () => waitingJob(taskQueue, starts.claimUntil())),
    );
    try {
      const answers = await Promise.all(jobs.map((job) => starts.startWithin(job, 10_000)));
      // The first jobs took every slot; the others were queued and answered at once.
      expect(answers.filter((started) => !started).length).toBeGreaterThanOrEqual(jobs.length - MAX_STARTS_IN_FLIGHT);
      await startedAll(jobs, 60_000);
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(MAX_STARTS_IN_FLIGHT);
      // One run for each job, none twice (visibility catches up with the starts within moments).
      const listRuns = async () => {
        const ids: string[] = [];
        for await (const run of t.temporal.workflow.list({ query: `TaskQueue = "${taskQueue}"` }))
          ids.push(run.workflowId);
        return ids;
      };
      const runs = await eventually(listRuns, (ids) => ids.length >= jobs.length, 30_000);
      expect(runs).toHaveLength(jobs.length);
      expect(new Set(runs)).toEqual(new Set(jobs.map((job) => job.workflowId)));
      // Each start was sent once: the claim kept every other process's dispatcher (this file's app,
      // the other files' apps on the same database) off these jobs while this one held them.
      expect([...sent.values()].every((times) => times === 1)).toBe(true);
      expect(sent.size).toBe(jobs.length);
    } finally {
      await starts.close();
      await terminateAll(jobs);
    }
  });

  it('sends a start from the queue in the trace of the request that handed it the job, not of the one that freed its slot', async () => {
    // As the API runs it, every new trace kept: each request below has a trace of its own.
    startTracing('neuroweaver-test', { otel: { endpoint: undefined, samplerRatio: 1 } }, [
      new SimpleSpanProcessor(new InMemorySpanExporter()),
    ]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sentIn = new Map<string, string | undefined>();
    const holding: WorkflowClientInterceptor = {
      async startWithDetails(input, next) {
        sentIn.set(input.options.workflowId, trace.getSpanContext(context.active())?.traceId);
        await held; // every slot taken until all the jobs are handed over
        return next(input);
      },
    };
    const starts = dispatcherThrough(holding);
    const taskQueue = uniqueName('unpolled');
    const jobs = await Promise.all(
      Array.from({ length: MAX_STARTS_IN_FLIGHT + 4 }, () => waitingJob(taskQueue, starts.claimUntil())),
    );
    const requestTrace = new Map<string, string>();
    try {
      for (const job of jobs) {
        const span = tracer().startSpan(`POST /api/v1/training/jobs ${job.id}`);
        requestTrace.set(job.workflowId!, span.spanContext().traceId);
        await context.with(trace.setSpan(ROOT_CONTEXT, span), () => starts.startWithin(job, 0));
        span.end();
      }
      release();
      await startedAll(jobs, 60_000);
      // The last four waited in the queue and were sent as earlier starts were answered.
      expect(Object.fromEntries(sentIn)).toEqual(Object.fromEntries(requestTrace));
    } finally {
      release();
      await starts.close();
      await terminateAll(jobs);
      await stopTracing();
    }
  });

  it('answers without waiting while Temporal answers starts slower than the request would wait', async () => {
    // A server that takes 3 s to answer each start (a burst ahead of these jobs, say).
    const slow: WorkflowClientInterceptor = {
      async startWithDetails(input, next) {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        return next(input);
      },
    };
    const starts = dispatcherThrough(slow);
    const taskQueue = uniqueName('unpolled');
    const jobs = await Promise.all(Array.from({ length: 4 }, () => waitingJob(taskQueue, starts.claimUntil())));
    try {
      // Nothing heard yet: the first two are sent and not waited for (a wait of 0).
      expect(await Promise.all(jobs.slice(0, 2).map((job) => starts.startWithin(job, 0)))).toEqual([false, false]);
      await startedAll(jobs.slice(0, 2));
      // Starts have lately taken 3 s: a request that would wait 2 s is answered at once, its start sent.
      const asked = performance.now();
      expect(await starts.startWithin(jobs[2], 2_000)).toBe(false);
      expect(performance.now() - asked).toBeLessThan(1_000);
      await startedAll([jobs[2]]);
      // One that would wait longer than starts take is held for its start, as before.
      expect(await starts.startWithin(jobs[3], 20_000)).toBe(true);
    } finally {
      await starts.close();
      await terminateAll(jobs);
    }
  });

  it('fails a job whose start Temporal refuses for good, after five tries, saying why', async () => {
    // A namespace the server does not have: every start is refused (NOT_FOUND), and no retry changes that.
    const temporal = new Client({ connection: t.temporal.connection, namespace: uniqueName('no-such-namespace') });
    const starts = createTrainingStarts({
      temporal,
      trainingJobs: t.stores.trainingJobs,
      logger: createLogger('test', 'silent'),
    });
    const job = await waitingJob(uniqueName('unpolled'), starts.claimUntil());
    try {
      for (let attempt = 1; attempt <= 5; attempt++) await expect(starts.ensureStarted(job)).rejects.toThrow();
      const failed = (await t.stores.trainingJobs.view(job.id))!;
      expect(failed).toMatchObject({ status: 'failed', workflowStartedAt: null, startAttempts: 5 });
      expect(failed.errorMessage).toMatch(/^its workflow could not be started: .*namespace/i);
    } finally {
      await starts.close();
    }
  });
});
