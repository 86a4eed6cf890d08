import type { Sequelize } from 'sequelize';
import { modelsOf, type DeploymentStatus } from '../db/models';

/**
 * Deployments and routing written straight into the database, without a rollout: how the tests
 * and the benchmark set up what serves when the rollout itself is not what they measure. The
 * product only ever gets here through deployModel.
 */
export async function deploymentRow(
  sequelize: Sequelize,
  specialization: string,
  model: { id: string; name: string },
  p: { status: DeploymentStatus; by: string },
): Promise<string> {
  const deployment = await modelsOf(sequelize).Deployment.create({
    modelId: model.id,
    name: model.name,
    specialization,
    status: p.status,
    endpointUrl: null,
    deploymentConfig: null,
    healthCheckUrl: null,
    deployedAt: new Date(),
    createdBy: p.by,
    resourceLimits: null,
    autoScaleConfig: null,
    workflowId: null,
    reason: null,
  });
  return deployment.id;
}

/** Routes the specialization to `stable`, with `backup` as its backup where given. */
export async function routeTo(
  sequelize: Sequelize,
  specialization: string,
  p: { stable: string; backup?: string; by: string },
): Promise<void> {
  await modelsOf(sequelize).Routing.create({
    specialization,
    stableDeploymentId: p.stable,
    canaryDeploymentId: null,
    backupDeploymentId: p.backup ?? null,
    updatedBy: p.by,
  });
}
