import { createApp } from '../api/app';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { signToken } from '../auth/token';
import { createTemporalClient } from '../api/temporal-client';
import { createLogger } from '../config/logger';
import { modelsOf } from '../db/models';
import { validateModel } from '../workflows/validate-model';
import { startPerformanceWatchdog } from '../temporal/starters';
import {
  pauseSignal,
  resumeSignal,
  rollbackUpdate,
  watchdogStateQuery,
} from '../workflows/watchdog/performance-watchdog';
import { createWorkers } from '../worker/create-worker';
import { runLoadProcess } from './load-process';
import { BENCH_SECRET, startBenchStack } from './stack';
import { load, percentile, summarize, type LoadResult, type Summary } from './stats';
import { createStores } from '../db/stores';
import { Op } from 'sequelize';

export interface WorkflowsBench {
  startViaApi: Summary;
  startRaw: Summary;
  queryRoundTrip: Summary;
  /** One query at a time, with no workflow starts in flight: the round trip itself. */
  queryRoundTripAlone: Summary;
  signalRoundTrip: Summary;
  updateRoundTrip: Summary;
  /**
   * Training-job starts through the API at each concurrency, beside the raw `client.workflow.start`
   * of the same workflow at the same concurrency on a task queue no worker polls: what the Temporal
   * server alone allows on this machine.
   */
  sustained: {
    concurrency: number;
    /** Requests sent at this concurrency, all rounds together. */
    requests: number;
    /** Jobs the API accepted (202) a second, and the p99 of its answer, per round summarised. */
    startsPerSecond: Summary;
    p99Ms: Summary;
    /** All rounds together. */
    failed: number;
    /** Answers sent before Temporal had the workflow (its start then went on from the outbox), all rounds. */
    answeredBeforeStart: number;
    /** From the job's commit to Temporal taking its workflow: what the answer no longer waits for. */
    untilStartedP99Ms: Summary;
    raw: { startsPerSecond: Summary; p99Ms: Summary };
  }[];
}

/**
 * Workflow starts through the API (auth, validation, the model row, search attributes) beside the
 * raw `client.workflow.start` of the same workflow; query, signal and update round trips to a
 * running watchdog; and training-job starts through the API at growing concurrency (the API its
 * own process, the load from another: bench/closed-loop.ts), to see how many a second the dev
 * server holds and where latency or errors give.
 */
export async function benchWorkflows({ rounds = 3, perRound = 50 } = {}): Promise<WorkflowsBench> {
  // The main queue only, as on an API and orchestration host: the training queue is the training
  // machines' (NW_WORKER_QUEUES=training), so the jobs started below wait there instead of running
  // hundreds of trainers on the machine whose starts are measured.
  const { config, sequelize, connection, temporal, close } = await startBenchStack({ NW_WORKER_QUEUES: 'main' });
  const api = createTemporalClient(config);
  const { app, close: closeApp } = createApp({
    config,
    jwtSecret: BENCH_SECRET,
    sequelize,
    stores: createStores(sequelize, config),
    temporal: api.client,
    logger: createLogger('bench', 'silent'),
  });
  const headers = {
    authorization: `Bearer ${signToken(BENCH_SECRET, { sub: 'bench', level: 'admin', ttlSeconds: 3600 })}`,
    'content-type': 'application/json',
  };
  const workers = await createWorkers({ connection, temporal, sequelize, config });
  const running = workers.map((w) => w.run());
  const medians = {
    api: [] as number[],
    raw: [] as number[],
    query: [] as number[],
    queryAlone: [] as number[],
    signal: [] as number[],
    update: [] as number[],
  };
  const sustained: WorkflowsBench['sustained'] = [];
  let appClosed = false;
  let apiProcess: ApiProcess | undefined;
  /** Waits until every job named `prefix…` has its workflow started; the p99 of commit → started. */
  const untilStartedP99 = async (prefix: string, jobs: number): Promise<number> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const rows = await modelsOf(sequelize).TrainingJob.findAll({
        where: { name: { [Op.startsWith]: prefix } },
        attributes: ['createdAt', 'workflowStartedAt'],
      });
      const started = rows.filter((row) => row.workflowStartedAt);
      if (started.length >= jobs || Date.now() > deadline) {
        if (started.length < jobs) throw new Error(`${jobs - started.length} jobs of ${prefix} never started`);
        return percentile(
          started.map((row) => row.workflowStartedAt!.getTime() - row.createdAt.getTime()),
          0.99,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  try {
    const models = await Promise.all(
      Array.from({ length: rounds * perRound * 2 }, (_, i) =>
        modelsOf(sequelize).ModelRecord.create({
          name: `bench-wf-${i}`,
          specialization: 'automotive-sales',
          baseModel: 'b',
          version: '1',
          description: null,
          createdBy: 'bench',
          modelPath: null,
          config: null,
          performanceMetrics: null,
          deploymentConfig: null,
        }),
      ),
    );
    let next = 0;
    const watchdog = await startPerformanceWatchdog(temporal, config.temporal.taskQueue, 'bench-roundtrips');
    await watchdog.query(watchdogStateQuery);
    for (let round = 0; round < rounds; round++) {
      const viaApi = await load(perRound, 4, async () => {
        const res = await app.request(`/api/v1/models/${models[next++].id}/validate`, { method: 'POST', headers });
        if (res.status !== 202) throw new Error(`validate: ${res.status}`);
      });
      const raw = await load(perRound, 4, async () => {
        const model = models[next++];
        await temporal.workflow.start(validateModel, {
          workflowId: `bench-raw-${model.id}`,
          taskQueue: config.temporal.taskQueue,
          args: [{ modelId: model.id }],
        });
      });
      const query = await load(perRound, 4, () => watchdog.query(watchdogStateQuery).then(() => undefined));
      // Queries to one workflow are answered one at a time, and the starts above are still being
      // worked on: alone, after a pause, is what one caller sees on a quiet worker.
      await new Promise((r) => setTimeout(r, 2_000));
      const queryAlone = await load(perRound, 1, () => watchdog.query(watchdogStateQuery).then(() => undefined));
      let flip = false;
      const signal = await load(perRound, 1, () => watchdog.signal((flip = !flip) ? pauseSignal : resumeSignal));
      // Refused by its validator (nothing to roll back): still the whole way to the worker and back.
      const update = await load(perRound, 1, () =>
        watchdog.executeUpdate(rollbackUpdate, { args: [{ by: 'bench', reason: 'round trip' }] }).then(
          () => undefined,
          () => undefined,
        ),
      );
      medians.api.push(viaApi.p50);
      medians.raw.push(raw.p50);
      medians.query.push(query.p50);
      medians.queryAlone.push(queryAlone.p50);
      medians.signal.push(signal.p50);
      medians.update.push(update.p50);
    }
    await watchdog.terminate('bench done');
    // The training-job rows load the API as `npm start` runs it, a process of its own, from a third
    // process; this one keeps the worker (main queue) and sends the raw starts.
    await closeApp();
    appClosed = true;
    apiProcess = await startApiProcess(config, BENCH_SECRET);
    const closedLoop = async (total: number, concurrency: number, name: string) =>
      (
        await runLoadProcess<LoadResult & { failed: number; falseCount: number; errors: string[] }>('closed-loop.ts', {
          url: `${apiProcess!.url}/api/v1/training/jobs`,
          headers: { authorization: headers.authorization },
          body: JSON.stringify({ name, specialization: 'automotive-sales', hyperparameters: { epochs: 1 } }),
          total,
          concurrency,
          countFalse: 'workflowStarted',
          warmUrl: `${apiProcess!.url}/health`,
        })
      )[0];
    await closedLoop(40, 4, 'bench-warm-{i}'); // the API process's code paths compiled
    // Rounds at each concurrency, each its raw starts then the API's: one burst is at the mercy of
    // the host's slow stretches, the median of several is not.
    for (const concurrency of [4, 16, 64]) {
      const per = {
        accepted: [] as number[],
        p99: [] as number[],
        until: [] as number[],
        raw: [] as number[],
        rawP99: [] as number[],
      };
      let failed = 0;
      let answeredBeforeStart = 0;
      for (let round = 0; round < rounds; round++) {
        let r0 = 0;
        const raw = await load(concurrency * 10, concurrency, () =>
          temporal.workflow
            .start('trainingPipeline', {
              workflowId: `bench-raw-start-${concurrency}-${round}-${r0++}`,
              taskQueue: 'bench-unpolled',
              args: [{}],
            })
            .then(() => undefined),
        );
        const prefix = `bench-load-${concurrency}-${round}-`;
        const r = await closedLoop(concurrency * 10, concurrency, `${prefix}{i}`);
        if (r.errors.length) console.error(`training-job starts at ${concurrency}: ${r.errors.join('; ')}`);
        failed += r.failed;
        answeredBeforeStart += r.falseCount;
        per.accepted.push(r.perSecond);
        per.p99.push(r.p99);
        per.until.push(await untilStartedP99(prefix, concurrency * 10 - r.failed));
        per.raw.push(raw.perSecond);
        per.rawP99.push(raw.p99);
      }
      sustained.push({
        concurrency,
        requests: rounds * concurrency * 10,
        startsPerSecond: summarize(per.accepted),
        p99Ms: summarize(per.p99),
        failed,
        answeredBeforeStart,
        untilStartedP99Ms: summarize(per.until),
        raw: { startsPerSecond: summarize(per.raw), p99Ms: summarize(per.rawP99) },
      });
    }
    return {
      startViaApi: summarize(medians.api),
      startRaw: summarize(medians.raw),
      queryRoundTrip: summarize(medians.query),
      queryRoundTripAlone: summarize(medians.queryAlone),
      signalRoundTrip: summarize(medians.signal),
      updateRoundTrip: summarize(medians.update),
      sustained,
    };
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await apiProcess?.kill('SIGTERM');
    if (!appClosed) await closeApp();
    await api.connection.close();
    await close();
  }
}
