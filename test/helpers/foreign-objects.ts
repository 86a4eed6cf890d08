import { randomUUID } from 'node:crypto';
import { deploymentRow, routeTo } from '../../support/deployment-rows';
import { createStores } from '../../db/stores';
import { uniqueName } from '../../support/names';
import { registerServableModel } from '../../support/servable-model';
import type { TestApp } from './app';

/**
 * One of each object a specialization owns — a model, its promoted deployment (routed as stable),
 * a training job and an open alert — for tests of what a token scoped elsewhere may see and do.
 */
export async function objectsOf(t: TestApp, specialization: string) {
  const model = await registerServableModel(t, specialization);
  const deploymentId = await deploymentRow(t.sequelize, specialization, model, { status: 'promoted', by: 'operator' });
  await routeTo(t.sequelize, specialization, { stable: deploymentId, by: 'test' });
  const stores = createStores(t.sequelize, t.config);
  const jobId = randomUUID();
  await stores.trainingJobs.create({
    id: jobId,
    name: specialization,
    trainingConfig: {},
    dataset: 'automotive-queries',
    createdBy: 'operator',
    idempotencyKey: null,
    workflowId: `training-${jobId}`,
    specialization,
    trainer: 'builtin',
    workflowStart: null, // an authorization target only: no workflow is ever started for it
    startNotBefore: null,
  });
  const { alertId } = await stores.alerts.raise({
    alertClass: 'performance-degraded',
    specialization,
    modelId: model.id,
    severity: 'warning',
    summary: specialization,
    details: {},
    key: uniqueName('k'),
  });
  return { modelId: model.id, deploymentId, jobId, alertId };
}
