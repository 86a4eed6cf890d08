import { QueryTypes, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import { specializationCondition } from './scope';
import type { Decision, DeployModelInput } from '../../workflows/deployment-types';
import { gateDecisionMessage } from '../../workflows/gate-policy';
import { modelsOf, type Deployment, type DeploymentStatus } from '../models';

/** `deployments`: the rows the API and the rollout workflow both write. */
export function createDeploymentStore(sequelize: Sequelize) {
  const { Deployment: Deployments } = modelsOf(sequelize);
  return {
    byId: (id: string): Promise<Deployment | null> => Deployments.findByPk(id),

    /** A page of deployments, newest first. */
    async list(filter: DeploymentFilter, skip: number, limit: number): Promise<{ items: Deployment[]; total: number }> {
      const where: WhereOptions<Deployment> = {};
      const specialization = specializationCondition(filter.specialization, filter.within);
      if (specialization !== undefined) where.specialization = specialization;
      if (filter.status) where.status = filter.status;
      if (filter.modelId) where.modelId = filter.modelId;
      const { rows, count } = await Deployments.findAndCountAll({
        where,
        offset: skip,
        limit,
        order: [
          ['createdAt', 'DESC'],
          ['id', 'ASC'],
        ],
      });
      return { items: rows, total: count };
    },

    /** Rollouts under way (staging or rolling out), newest first, within a scope (undefined = all). */
    underWay(within: string[] | undefined, limit: number): Promise<Deployment[]> {
      const where: WhereOptions<Deployment> = { status: ['staging', 'rolling_out'] };
      if (within) where.specialization = within;
      return Deployments.findAll({ where, limit, order: [['createdAt', 'DESC']] });
    },

    /** Appends a decision once: a retry of the same decision (same key) changes nothing. */
    async recordDecision(deploymentId: string, decision: Decision, transaction?: Transaction): Promise<void> {
      await sequelize.query(
        `UPDATE deployments SET decisions = decisions || jsonb_build_array(CAST($2 AS jsonb)), updated_at = NOW()
          WHERE id = $1 AND NOT decisions @> jsonb_build_array(jsonb_build_object('key', CAST($3 AS text)))`,
        { bind: [deploymentId, JSON.stringify(decision), decision.key], transaction },
      );
    },

    async finish(deploymentId: string, status: DeploymentStatus, reason: string): Promise<void> {
      await Deployments.update({ status, reason }, { where: { id: deploymentId } });
    },

    /** Requests, errors and p95 latency a deployment served since `since`, from the inference rows. */
    /** Live canary traffic since `since` (probes excluded: they are counted where they are sent), with the requests slower than `slowerThanMs`. */
    async windowStats(
      deploymentId: string,
      since: string,
      slowerThanMs: number,
    ): Promise<{ requests: number; errors: number; slow: number; p95LatencyMs: number | null }> {
      const [row] = await sequelize.query<{ requests: number; errors: number; slow: number; p95: number | null }>(
        `SELECT count(*)::int AS requests,
                count(*) FILTER (WHERE (metadata->>'ok')::boolean IS NOT TRUE)::int AS errors,
                count(*) FILTER (WHERE metric_value > $3)::int AS slow,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY metric_value)::float AS p95
           FROM performance_metrics
          WHERE deployment_id = $1 AND metric_type = 'inference_latency_ms' AND timestamp >= $2
            AND metadata->>'track' IS DISTINCT FROM 'probe'`,
        { bind: [deploymentId, since, slowerThanMs], type: QueryTypes.SELECT },
      );
      return {
        requests: row.requests,
        errors: row.errors,
        slow: row.slow,
        p95LatencyMs: row.p95 === null ? null : Number(row.p95),
      };
    },

    /**
     * The deployment's row, once: written by the API right after it starts the rollout (so GET knows
     * it at once) and by the workflow's first step; whichever comes second changes nothing. Its log
     * opens with the gate: who chose it and where it is weaker than the policy.
     */
    async record(input: DeployModelInput, workflowId: string): Promise<void> {
      const deploymentConfig = {
        steps: input.steps,
        analysis: input.analysis,
        requireApproval: input.requireApproval,
        approvalTimeoutSeconds: input.approvalTimeoutSeconds,
        onApprovalTimeout: input.onApprovalTimeout,
        ...(input.fourEyes === undefined ? {} : { fourEyes: input.fourEyes }),
        ...(input.gate ? { gate: input.gate } : {}),
      };
      const opening: Decision[] = input.gate
        ? [
            {
              key: 'gate',
              kind: 'gate',
              at: input.gate.at,
              message: gateDecisionMessage(input.gate, input.specialization),
            },
          ]
        : [];
      await sequelize.query(
        `INSERT INTO deployments (id, model_id, name, status, specialization, workflow_id, deployment_config, endpoint_url, created_by, replicas, decisions, created_at, updated_at)
         VALUES ($1, $2, $3, 'staging', $4, $5, CAST($6 AS jsonb), $7, $8, 1, CAST($9 AS jsonb), NOW(), NOW())
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
            JSON.stringify(opening),
          ],
        },
      );
    },
  };
}

export interface DeploymentFilter {
  specialization?: string;
  /** Only these specializations (a scoped token's). */
  within?: string[];
  status?: DeploymentStatus;
  modelId?: string;
}

export type DeploymentStore = ReturnType<typeof createDeploymentStore>;
