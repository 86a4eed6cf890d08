import { queryLive } from '../live-query';
import { policy } from '../auth/route-policy';
import { annotateSpan } from '../../config/tracing';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { listDatasets } from '../../ml/dataset-catalog';
import type { TrainingJob } from '../../db/models';
import { startTrainingPipeline } from '../../temporal/starters';
import { progressQuery, type TrainingPipelineInput, type TrainingProgress } from '../../workflows/training-pipeline';
import { trainingWorkflowId } from '../../workflows/training-types';
import { chooseGate } from '../auth/gate';
import { inScopeOr404, listScope, requireSpecialization } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { ApiError, badRequest, conflict, notFound } from '../errors';
import {
  authErrors,
  conflictError,
  ErrorSchema,
  jsonBody,
  jsonResponse,
  notFoundError,
  rateLimitedError,
  tooLargeError,
  UuidParam,
  withLinks,
} from '../schemas/common';
import {
  DatasetList,
  IdempotencyHeader,
  TrainingJobList,
  TrainingJobListQuery,
  TrainingJobRequest,
  TrainingJobSchema,
  TrainingJobStarted,
} from '../schemas/training';
import { trainingJobView } from '../views';
import { workflowUrl } from '../web-ui';

const security = [{ bearerAuth: [] }];
const tags = ['training'];
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

const createJobRoute = createRoute({
  method: 'post',
  path: '/training/jobs',
  operationId: 'createTrainingJob',
  ...policy({ access: 'write', scope: 'named', limit: 'workflow-starts' }),
  tags,
  summary: 'Start a training job (trainingPipeline workflow)',
  security,
  request: { headers: IdempotencyHeader, body: jsonBody(TrainingJobRequest) },
  responses: {
    202: withLinks(
      jsonResponse(TrainingJobStarted, 'Started (or, for a known Idempotency-Key, the existing job)'),
      ['getTrainingJob', 'getTrainingJobLogs', 'cancelTrainingJob'],
      { id: '$response.body#/jobId' },
    ),
    ...authErrors,
    ...tooLargeError,
    ...rateLimitedError,
    422: jsonResponse(ErrorSchema, 'The Idempotency-Key was used for a different request (idempotency_key_reused)'),
  },
});
const listJobsRoute = createRoute({
  method: 'get',
  path: '/training/jobs',
  operationId: 'listTrainingJobs',
  ...policy({ access: 'read', scope: 'list' }),
  tags,
  summary: 'List training jobs',
  security,
  request: { query: TrainingJobListQuery },
  responses: { 200: jsonResponse(TrainingJobList, 'A page of jobs'), ...authErrors },
});
const getJobRoute = createRoute({
  method: 'get',
  path: '/training/jobs/{id}',
  operationId: 'getTrainingJob',
  ...policy({ access: 'read', scope: 'object' }),
  tags,
  summary: 'A training job, with live progress while it runs',
  security,
  request: { params: UuidParam },
  responses: { 200: jsonResponse(TrainingJobSchema, 'The job'), ...authErrors, ...notFoundError },
});
const logsRoute = createRoute({
  method: 'get',
  path: '/training/jobs/{id}/logs',
  operationId: 'getTrainingJobLogs',
  ...policy({ access: 'read', scope: 'object' }),
  tags,
  summary: "The job's trainer logs (most recent 64 KiB)",
  security,
  request: { params: UuidParam },
  responses: {
    200: jsonResponse(z.object({ jobId: z.uuid(), logs: z.string() }).openapi('TrainingJobLogs'), 'Logs'),
    ...authErrors,
    ...notFoundError,
  },
});
const cancelRoute = createRoute({
  method: 'post',
  path: '/training/jobs/{id}/cancel',
  operationId: 'cancelTrainingJob',
  ...policy({ access: 'write', scope: 'object' }),
  tags,
  summary: 'Cancel a job: the trainer is stopped (SIGTERM, then SIGKILL) and its partial files removed',
  security,
  request: { params: UuidParam },
  responses: {
    202: jsonResponse(TrainingJobStarted, 'Cancellation requested'),
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});
const datasetsRoute = createRoute({
  method: 'get',
  path: '/training/datasets',
  operationId: 'listDatasets',
  ...policy({ access: 'read', scope: 'none' }),
  tags,
  summary: 'Datasets jobs can train on',
  security,
  responses: { 200: jsonResponse(DatasetList, 'Datasets'), ...authErrors },
});

export function createTrainingRoutes({
  config,
  temporal,
  logger,
  stores: { trainingJobs, thresholds },
}: Pick<ApiDeps, 'config' | 'temporal' | 'logger' | 'stores'>) {
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

  async function startWorkflow(job: TrainingJob, input: TrainingPipelineInput) {
    annotateSpan({ 'workflow.id': job.workflowId! });
    await startTrainingPipeline(temporal, config.temporal.taskQueue, input, job.createdBy);
  }

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
    if (!job) {
      const id = crypto.randomUUID();
      job = await trainingJobs.create({
        id,
        name: body.name,
        trainingConfig: body,
        dataset: body.dataset,
        createdBy: sub,
        idempotencyKey: key ?? null,
        workflowId: trainingWorkflowId(id),
        specialization: body.specialization,
        trainer: body.trainer,
      });
    }
    const input: TrainingPipelineInput = {
      jobId: job.id,
      ...body,
      deploy,
      requestedBy: sub,
      trainingTaskQueue: config.temporal.trainingTaskQueue,
    };
    try {
      await startWorkflow(job, input);
    } catch (err) {
      // Without a key the caller cannot retry this job, so it must not stay pending forever.
      if (!key) await trainingJobs.markFailed(job.id, 'the training workflow could not be started');
      throw err;
    }
    return c.json(
      { jobId: job.id, workflowId: job.workflowId!, webUiUrl: link(job.workflowId!), status: job.status },
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
    await temporal.workflow.getHandle(job.workflowId!).cancel();
    return c.json(
      { jobId: job.id, workflowId: job.workflowId!, webUiUrl: link(job.workflowId!), status: 'cancelling' },
      202,
    );
  });

  app.openapi(datasetsRoute, async (c) => c.json({ items: await listDatasets(config.training.datasetsDir) }, 200));

  return app;
}
