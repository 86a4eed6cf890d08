import { queryLive } from '../live-query';
import { annotateSpan } from '../../config/tracing';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { OpenAPIHono } from '@hono/zod-openapi';
import { listDatasets } from '../../ml/dataset-catalog';
import type { TrainingJob } from '../../db/models';
import { progressQuery, type TrainingPipelineInput, type TrainingProgress } from '../../workflows/training-pipeline';
import { chooseGate } from '../auth/gate';
import { inScopeOr404, listScope, requireSpecialization } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { ApiError, badRequest, conflict, notFound } from '../errors';
import { acceptTrainingJob } from '../services/training-jobs';
import type { TrainingStarts } from '../services/training-starts';
import { trainingJobView } from '../views';
import { workflowUrl } from '../web-ui';
import {
  createJobRoute,
  listJobsRoute,
  getJobRoute,
  logsRoute,
  cancelRoute,
  datasetsRoute,
} from '../operations/training';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function createTrainingRoutes({
  config,
  temporal,
  logger,
  stores: { trainingJobs, thresholds },
  starts,
}: Pick<ApiDeps, 'config' | 'temporal' | 'logger' | 'stores'> & { starts: TrainingStarts }) {
  const app = new OpenAPIHono<AppEnv>();
  const link = (workflowId: string) => workflowUrl(config.temporal.uiUrl, config.temporal.namespace, workflowId);

  async function progressOf(job: TrainingJob): Promise<TrainingProgress | null> {
    if (TERMINAL.has(job.status) || !job.workflowId) return null;
    try {
      return await queryLive(temporal, job.workflowId, progressQuery);
    } catch (err) {
      // No worker to answer yet, or Temporal down: the row still says what is known.
      logger.debug({ err: (err as Error).message, jobId: job.id }, 'progress query failed');
      return null;
    }
  }

  const toDto = (job: TrainingJob, progress: TrainingProgress | null) => trainingJobView(job, progress, link);

  app.openapi(createJobRoute, async (c) => {
    const body = c.req.valid('json');
    requireSpecialization(c, body.specialization);
    const key = c.req.valid('header')['idempotency-key'];
    const sub = c.get('principal').sub;
    // The rollout's gate is judged now, against the caller's authority, not when training ends.
    let deploy: TrainingPipelineInput['deploy'];
    if (body.autoDeploy) {
      const { watch, ...asked } = body.deploy ?? { watch: true };
      const { gate, choice } = await chooseGate(
        c,
        thresholds,
        asked,
        { specialization: body.specialization, modelSpecialization: body.specialization },
        'body.deploy.',
      );
      deploy = { ...gate, watch, gate: choice };
    }
    if (!fs.existsSync(path.join(config.training.datasetsDir, body.dataset, 'dataset.json'))) {
      throw badRequest(`unknown dataset "${body.dataset}"`, {
        fields: [{ field: 'body.dataset', message: 'no such dataset (see GET /api/v1/training/datasets)' }],
      });
    }
    let job = key ? await trainingJobs.byKey(sub, key) : null;
    if (job && !isDeepStrictEqual(job.trainingConfig, body)) {
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request', {
        jobId: job.id,
      });
    }
    job = await acceptTrainingJob({ config, trainingJobs, starts }, { body, deploy, sub, key, existing: job });
    annotateSpan({ 'workflow.id': job.workflowId! });
    // A retry with the key starts what the first request committed, not this request's judgement.
    const workflowStarted = await starts.startWithin(job, config.training.startWaitMs);
    return c.json(
      {
        jobId: job.id,
        workflowId: job.workflowId!,
        webUiUrl: link(job.workflowId!),
        status: job.status,
        workflowStarted,
      },
      202,
    );
  });

  app.openapi(listJobsRoute, async (c) => {
    const { skip, limit, ...filters } = c.req.valid('query');
    const { items, total } = await trainingJobs.list({ ...filters, within: listScope(c) }, skip, limit);
    return c.json({ items: items.map((j) => toDto(j, null)), total, skip, limit }, 200);
  });

  app.openapi(getJobRoute, async (c) => {
    const job = inScopeOr404(c, await trainingJobs.view(c.req.valid('param').id), 'training job');
    return c.json(toDto(job, await progressOf(job)), 200);
  });

  app.openapi(logsRoute, async (c) => {
    inScopeOr404(c, await trainingJobs.view(c.req.valid('param').id), 'training job');
    const job = await trainingJobs.logs(c.req.valid('param').id);
    if (!job) throw notFound('training job');
    return c.json({ jobId: job.id, logs: job.logs }, 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const job = inScopeOr404(c, await trainingJobs.view(c.req.valid('param').id), 'training job');
    if (TERMINAL.has(job.status)) throw conflict(`training job is already ${job.status}`, { status: job.status });
    // A job still waiting for its workflow is started to be cancelled: the workflow alone decides
    // what a cancellation leaves behind, and the dispatcher cannot start it after this.
    await starts.ensureStarted(job);
    await temporal.workflow.getHandle(job.workflowId!).cancel();
    return c.json(
      { jobId: job.id, workflowId: job.workflowId!, webUiUrl: link(job.workflowId!), status: 'cancelling' as const },
      202,
    );
  });

  app.openapi(datasetsRoute, async (c) => c.json({ items: await listDatasets(config.training.datasetsDir) }, 200));

  return app;
}
