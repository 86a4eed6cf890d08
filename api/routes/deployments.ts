import { queryLive, updateWithin } from '../live-query';
import { policy } from '../auth/route-policy';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { annotateSpan } from '../../config/tracing';
import type { Deployment } from '../../db/models';
import { startDeployModel, startRollbackDeployment } from '../../temporal/starters';
import { abortSignal, approveUpdate, deploymentStatusQuery, deploymentWorkflowId } from '../../workflows/deploy-model';
import type { Context } from 'hono';
import type { DeployModelInput } from '../../workflows/deployment-types';
import { chooseGate } from '../auth/gate';
import { inScopeOr404, listScope, requireSpecialization } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { ApiError, conflict } from '../errors';
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
import { deploymentSummary, deploymentView } from '../views';
import { workflowUrl } from '../web-ui';

const security = [{ bearerAuth: [] }];
const tags = ['deployments'];

const optionalBody = <T extends Parameters<typeof jsonBody>[0]>(schema: T) => ({
  ...jsonBody(schema),
  required: false,
});

const deployRoute = createRoute({
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
const listRoute = createRoute({
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
const getRoute = createRoute({
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
const approveRoute = createRoute({
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
const abortRoute = createRoute({
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
const rollbackRoute = createRoute({
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

const RUNNING = new Set(['staging', 'rolling_out']);

export function createDeploymentRoutes({
  config,
  temporal,
  logger,
  stores,
}: Pick<ApiDeps, 'config' | 'temporal' | 'logger' | 'stores'>) {
  const app = new OpenAPIHono<AppEnv>();
  const link = (workflowId: string, runId?: string) =>
    workflowUrl(config.temporal.uiUrl, config.temporal.namespace, workflowId, runId);

  const deploymentOr404 = async (c: Context<AppEnv>, id: string): Promise<Deployment> =>
    inScopeOr404(c, await stores.deployments.byId(id), 'deployment');

  /** The handle of this deployment's own run (the workflow ID is reused by later rollouts). */
  async function runningHandle(deployment: Deployment) {
    const handle = temporal.workflow.getHandle(deployment.workflowId!);
    try {
      const description = await handle.describe();
      // Pinned to that run: a signal must not reach a later rollout under the same workflow ID.
      if (description.status.name === 'RUNNING' && description.memo?.deploymentId === deployment.id)
        return temporal.workflow.getHandle(deployment.workflowId!, description.runId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    return undefined;
  }

  app.openapi(deployRoute, async (c) => {
    const model = inScopeOr404(c, await stores.models.get(c.req.valid('param').id), 'model');
    if (!model.modelPath)
      throw new ApiError(400, 'validation_error', 'the model has no artifact to deploy (modelPath)', {
        fields: [{ field: 'modelPath', message: 'required to deploy' }],
      });
    const { specialization, watch, ...asked } = c.req.valid('json');
    requireSpecialization(c, specialization);
    const { gate, choice } = await chooseGate(
      c,
      stores.thresholds,
      asked,
      { specialization, modelSpecialization: model.specialization },
      'body.',
    );
    const deploymentId = crypto.randomUUID();
    const workflowId = deploymentWorkflowId(specialization);
    const input: DeployModelInput = {
      deploymentId,
      modelId: model.id,
      specialization,
      ...gate,
      watch,
      gate: choice,
      requestedBy: c.get('principal').sub,
    };
    annotateSpan({ 'workflow.id': workflowId, 'model.id': model.id, 'ai.model': `${model.name}@${model.version}` });
    try {
      const handle = await startDeployModel(temporal, config.temporal.taskQueue, input, model);
      // So that GET /deployments/{id} knows the deployment as soon as the client does.
      await stores.deployments.record(input, workflowId);
      return c.json({ deploymentId, workflowId, webUiUrl: link(workflowId, handle.firstExecutionRunId) }, 202);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        const running = await temporal.workflow
          .getHandle(workflowId)
          .describe()
          .catch(() => undefined);
        throw conflict(`a rollout for ${specialization} is already running`, {
          workflowId,
          runId: running?.runId,
          deploymentId: running?.memo?.deploymentId,
        });
      }
      throw err;
    }
  });

  app.openapi(listRoute, async (c) => {
    const { skip, limit, ...filter } = c.req.valid('query');
    const { items, total } = await stores.deployments.list({ ...filter, within: listScope(c) }, skip, limit);
    return c.json({ items: items.map((d) => deploymentSummary(d, link)), total, skip, limit }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const d = await deploymentOr404(c, c.req.valid('param').id);
    let live = null;
    if (RUNNING.has(d.status) && d.workflowId) {
      live = await queryLive(temporal, d.workflowId, deploymentStatusQuery).catch((err: Error) => {
        logger.debug({ err: err.message }, 'deployment status query failed');
        return null;
      });
    }
    return c.json({ ...deploymentView(d, link), live: live as Record<string, unknown> | null }, 200);
  });

  app.openapi(approveRoute, async (c) => {
    const d = await deploymentOr404(c, c.req.valid('param').id);
    const by = c.get('principal').sub;
    // Four-eyes: whoever deployed does not approve their own rollout (the workflow refuses it too).
    if (d.deploymentConfig?.fourEyes === true && d.createdBy === by) {
      throw new ApiError(403, 'forbidden', `four-eyes: ${by} deployed this rollout, so someone else approves it`);
    }
    const handle = await runningHandle(d);
    if (!handle) throw conflict(`the deployment is ${d.status}: nothing to approve`);
    // A refusal by the workflow (not waiting for approval, four-eyes) is a 409 (api/errors.ts).
    await updateWithin(temporal, handle.workflowId, () =>
      handle.executeUpdate(approveUpdate, { args: [{ by, comment: c.req.valid('json')?.comment }] }),
    );
    return c.json({ deploymentId: d.id, workflowId: d.workflowId!, webUiUrl: link(d.workflowId!) }, 200);
  });

  app.openapi(abortRoute, async (c) => {
    const d = await deploymentOr404(c, c.req.valid('param').id);
    const handle = await runningHandle(d);
    if (!handle) throw conflict(`the deployment is ${d.status}: nothing to abort`);
    if (d.status === 'promoted')
      throw conflict('the deployment is promoted: roll it back instead (POST /deployments/{id}/rollback)');
    await handle.signal(abortSignal, {
      by: c.get('principal').sub,
      reason: c.req.valid('json')?.reason ?? 'abort requested',
    });
    return c.json({ deploymentId: d.id, workflowId: d.workflowId!, webUiUrl: link(d.workflowId!) }, 202);
  });

  app.openapi(rollbackRoute, async (c) => {
    let d = await deploymentOr404(c, c.req.valid('param').id);
    const reason = c.req.valid('json')?.reason ?? 'rollback requested';
    const by = c.get('principal').sub;
    const handle = await runningHandle(d);
    if (handle) {
      // A rollout still running is stopped; one that promoted and still delivers rolls back in its
      // own workflow (deployModel), which cannot be started beside.
      try {
        await handle.signal(abortSignal, { by, reason });
        return c.json({ deploymentId: d.id, workflowId: d.workflowId!, webUiUrl: link(d.workflowId!) }, 202);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        d = await deploymentOr404(c, d.id); // it ended meanwhile: roll back what it left
      }
    }
    if (d.status !== 'promoted') throw conflict(`the deployment is ${d.status}: nothing to roll back`);
    try {
      const started = await startRollbackDeployment(
        temporal,
        config.temporal.taskQueue,
        { deploymentId: d.id, specialization: d.specialization, requestedBy: by, reason },
        d.modelId,
      );
      return c.json(
        {
          deploymentId: d.id,
          workflowId: started.workflowId,
          webUiUrl: link(started.workflowId, started.firstExecutionRunId),
        },
        202,
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw conflict(`a rollout for ${d.specialization} is running; abort it first`);
      throw err;
    }
  });

  return app;
}
