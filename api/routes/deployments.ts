import { queryLive, updateWithin } from '../live-query';
import { OpenAPIHono } from '@hono/zod-openapi';
import { annotateSpan } from '../../config/tracing';
import type { Deployment } from '../../db/models';
import { abortSignal, approveUpdate, deploymentStatusQuery, deploymentWorkflowId } from '../../workflows/deploy-model';
import type { Context } from 'hono';
import type { DeployModelInput } from '../../workflows/deployment-types';
import { chooseGate } from '../auth/gate';
import { inScopeOr404, listScope, requireSpecialization } from '../auth/scope';
import type { ApiDeps, AppEnv } from '../deps';
import { ApiError, conflict } from '../errors';
import { createDeploymentService } from '../services/deployments';
import { deploymentSummary, deploymentView } from '../views';
import { workflowUrl } from '../web-ui';
import { deployRoute, listRoute, getRoute, approveRoute, abortRoute, rollbackRoute } from '../operations/deployments';

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

  const { runningHandle, startRollout, rollBack } = createDeploymentService({ config, temporal, stores });

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
    const run = await startRollout(input, model);
    return c.json({ deploymentId, workflowId, webUiUrl: link(workflowId, run.runId) }, 202);
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
    const d = await deploymentOr404(c, c.req.valid('param').id);
    const reason = c.req.valid('json')?.reason ?? 'rollback requested';
    const run = await rollBack(d, c.get('principal').sub, reason, () => deploymentOr404(c, d.id));
    return c.json({ deploymentId: d.id, workflowId: run.workflowId, webUiUrl: link(run.workflowId, run.runId) }, 202);
  });

  return app;
}
