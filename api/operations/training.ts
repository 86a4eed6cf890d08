/** The OpenAPI operations of training: path, policy, request and responses (handlers: api/routes/training.ts). */
import { policy } from '../auth/route-policy';
import { createRoute, z } from '@hono/zod-openapi';
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
  TrainingJobCancelling,
  TrainingJobStarted,
} from '../schemas/training';

const security = [{ bearerAuth: [] }];
const tags = ['training'];

export const createJobRoute = createRoute({
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
      jsonResponse(
        TrainingJobStarted,
        'Accepted: the job is stored and its workflow started, or starting as soon as Temporal takes it ' +
          '(workflowStarted); for a known Idempotency-Key, the existing job',
      ),
      ['getTrainingJob', 'getTrainingJobLogs', 'cancelTrainingJob'],
      { id: '$response.body#/jobId' },
    ),
    ...authErrors,
    ...tooLargeError,
    ...rateLimitedError,
    422: jsonResponse(ErrorSchema, 'The Idempotency-Key was used for a different request (idempotency_key_reused)'),
  },
});
export const listJobsRoute = createRoute({
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
export const getJobRoute = createRoute({
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
export const logsRoute = createRoute({
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
export const cancelRoute = createRoute({
  method: 'post',
  path: '/training/jobs/{id}/cancel',
  operationId: 'cancelTrainingJob',
  ...policy({ access: 'write', scope: 'object' }),
  tags,
  summary: 'Cancel a job: the trainer is stopped (SIGTERM, then SIGKILL) and its partial files removed',
  security,
  request: { params: UuidParam },
  responses: {
    202: jsonResponse(TrainingJobCancelling, 'Cancellation requested'),
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});
export const datasetsRoute = createRoute({
  method: 'get',
  path: '/training/datasets',
  operationId: 'listDatasets',
  ...policy({ access: 'read', scope: 'none' }),
  tags,
  summary: 'Datasets jobs can train on',
  security,
  responses: { 200: jsonResponse(DatasetList, 'Datasets'), ...authErrors },
});
