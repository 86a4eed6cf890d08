import type { Sequelize } from 'sequelize';
import { modelsOf, type Deployment } from '../models';
import type { DeployModelInput } from '../../workflows/deployment-types';

/** `deployments`: the rows the API and the rollout workflow both write. */
export function createDeploymentStore(sequelize: Sequelize) {
  const { Deployment: Deployments } = modelsOf(sequelize);
  return {
    byId: (id: string): Promise<Deployment | null> => Deployments.findByPk(id),

    /**
     * The deployment's row, once: written by the API right after it starts the rollout (so GET knows
     * it at once) and by the workflow's first step; whichever comes second changes nothing.
     */
    async record(input: DeployModelInput, workflowId: string): Promise<void> {
      const deploymentConfig = {
        steps: input.steps,
        analysis: input.analysis,
        requireApproval: input.requireApproval,
        approvalTimeoutSeconds: input.approvalTimeoutSeconds,
        onApprovalTimeout: input.onApprovalTimeout,
      };
      await sequelize.query(
        `INSERT INTO deployments (id, model_id, name, status, specialization, workflow_id, deployment_config, endpoint_url, created_by, replicas, decisions, created_at, updated_at)
         VALUES ($1, $2, $3, 'staging', $4, $5, CAST($6 AS jsonb), $7, $8, 1, '[]'::jsonb, NOW(), NOW())
         ON CONFLICT (id) DO NOTHING`,
        {
          bind: [
            input.deploymentId,
            input.modelId,
            `${input.specialization}-${input.deploymentId.slice(0, 8)}`,
            input.specialization,
            workflowId,
            JSON.stringify(deploymentConfig),
            `/api/v1/inference/${input.specialization}`,
            input.requestedBy,
          ],
        },
      );
    },
  };
}

export type DeploymentStore = ReturnType<typeof createDeploymentStore>;
