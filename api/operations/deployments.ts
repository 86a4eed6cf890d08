/** The OpenAPI operations of deployments: path, policy, request and responses (handlers: api/routes/deployments.ts). */
import { policy } from '../auth/route-policy';
import { createRoute } from '@hono/zod-openapi';
import {
  authErrors,
  conflictError,
  jsonBody,
  jsonResponse,
  notFoundError,
  rateLimitedError,
  UuidParam,
  withLinks,
} from '../schemas/common';
import {
  AbortRequest,
  ApproveRequest,
  DeploymentList,
  DeploymentListQuery,
  DeploymentSchema,
  DeploymentStarted,
  DeployRequest,
} from '../schemas/deployments';

const security = [{ bearerAuth: [] }];
const tags = ['deployments'];

const optionalBody = <T extends Parameters<typeof jsonBody>[0]>(schema: T) => ({
  ...jsonBody(schema),
  required: false,
});

export const deployRoute = createRoute({
  method: 'post',
  path: '/models/{id}/deploy',
  operationId: 'deployModel',
  ...policy({ access: 'write', scope: 'object', limit: 'workflow-starts' }),
  tags,
  summary: 'Roll a model out to a specialization behind a health gate (deployModel workflow)',
  description: 'One rollout per specialization: while one runs, this answers 409 with its workflow ID.',
  security,
  request: { params: UuidParam, body: jsonBody(DeployRequest) },
  responses: {
    202: withLinks(
      jsonResponse(DeploymentStarted, 'Rollout started'),
      ['getDeployment', 'approveDeployment', 'abortDeployment', 'rollbackDeployment'],
      { id: '$response.body#/deploymentId' },
    ),
    ...authErrors,
    ...notFoundError,
    ...conflictError,
    ...rateLimitedError,
  },
});
export const listRoute = createRoute({
  method: 'get',
  path: '/deployments',
  operationId: 'listDeployments',
  ...policy({ access: 'read', scope: 'list' }),
  tags,
  summary: 'List deployments, newest first, by specialization, status or model',
  security,
  request: { query: DeploymentListQuery },
  responses: { 200: jsonResponse(DeploymentList, 'A page of deployments'), ...authErrors },
});
export const getRoute = createRoute({
  method: 'get',
  path: '/deployments/{id}',
  operationId: 'getDeployment',
  ...policy({ access: 'read', scope: 'object' }),
  tags,
  summary: 'A deployment with every decision and its numbers',
  security,
  request: { params: UuidParam },
  responses: { 200: jsonResponse(DeploymentSchema, 'The deployment'), ...authErrors, ...notFoundError },
});
export const approveRoute = createRoute({
  method: 'post',
  path: '/deployments/{id}/approve',
  operationId: 'approveDeployment',
  ...policy({ access: 'write', scope: 'object' }),
  tags,
  summary: 'Approve promotion (manual gate)',
  security,
  request: { params: UuidParam, body: optionalBody(ApproveRequest) },
  responses: { 200: jsonResponse(DeploymentStarted, 'Approved'), ...authErrors, ...notFoundError, ...conflictError },
});
export const abortRoute = createRoute({
  method: 'post',
  path: '/deployments/{id}/abort',
  operationId: 'abortDeployment',
  ...policy({ access: 'write', scope: 'object' }),
  tags,
  summary: 'Abort a running rollout: the canary leaves traffic, the stable keeps serving',
  security,
  request: { params: UuidParam, body: optionalBody(AbortRequest) },
  responses: {
    202: jsonResponse(DeploymentStarted, 'Abort requested'),
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});
export const rollbackRoute = createRoute({
  method: 'post',
  path: '/deployments/{id}/rollback',
  operationId: 'rollbackDeployment',
  ...policy({ access: 'write', scope: 'object', limit: 'workflow-starts' }),
  tags,
  summary: 'Roll back: a running rollout is aborted; a promoted deployment hands traffic back to its backup',
  security,
  request: { params: UuidParam, body: optionalBody(AbortRequest) },
  responses: {
    202: jsonResponse(DeploymentStarted, 'Rollback started'),
    ...authErrors,
    ...notFoundError,
    ...conflictError,
    ...rateLimitedError,
  },
});
