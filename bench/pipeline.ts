import { signToken } from '../auth/token';
import { modelsOf } from '../db/models';
import { progressQuery } from '../workflows/training-pipeline';
import { createWorkers } from '../worker/create-worker';
import { BENCH_SECRET, benchApp, startBenchStack } from './stack';
import { summarize, type Summary } from './stats';

export interface PipelineBench {
  postToRunning: Summary;
  postToFirstProgress: Summary;
  postToCompleted: Summary;
}

/**
 * A whole stack in this process (dev server, PostgreSQL, workers, API) and `rounds` builtin jobs
 * posted one at a time: milliseconds from POST to the job running, to the trainer's first
 * progress, and to the registered model.
 */
export async function benchPipeline({ rounds = 5 } = {}): Promise<PipelineBench> {
  const { config, sequelize, connection, temporal, close } = await startBenchStack();
  const workers = await createWorkers({ connection, temporal, sequelize, config });
  const running = workers.map((w) => w.run());
  try {
    const { app } = benchApp({ config, sequelize, temporal });
    const headers = {
      authorization: `Bearer ${signToken(BENCH_SECRET, { sub: 'bench', level: 'write', ttlSeconds: 3600 })}`,
      'content-type': 'application/json',
    };
    const toRunning: number[] = [];
    const toProgress: number[] = [];
    const toCompleted: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const posted = performance.now();
      const res = await app.request('/api/v1/training/jobs', {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: `bench-${i}`,
          specialization: 'automotive-sales',
          hyperparameters: { epochs: 2 },
        }),
      });
      const { jobId, workflowId } = (await res.json()) as { jobId: string; workflowId: string };
      const handle = temporal.workflow.getHandle(workflowId);
      let sawRunning = false;
      let sawProgress = false;
      const done = handle.result().then(() => toCompleted.push(performance.now() - posted));
      while (!sawProgress) {
        if (!sawRunning && (await modelsOf(sequelize).TrainingJob.findByPk(jobId))?.status !== 'pending') {
          sawRunning = true;
          toRunning.push(performance.now() - posted);
        }
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p && (p.step > 0 || (p.stage !== 'training' && p.stage !== 'queued' && p.stage !== 'validating-dataset'))) {
          sawProgress = true;
          toProgress.push(performance.now() - posted);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      await done;
    }
    return {
      postToRunning: summarize(toRunning),
      postToFirstProgress: summarize(toProgress),
      postToCompleted: summarize(toCompleted),
    };
  } finally {
    // Also when a job failed: the workers let go of the connection before it closes.
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await close();
  }
}
