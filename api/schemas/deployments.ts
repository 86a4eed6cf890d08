import { z } from '@hono/zod-openapi';
import { DEFAULT_ANALYSIS, DEFAULT_STEPS } from '../../workflows/deployment-types';
import { AnalysisFields, ApprovalTimeoutSeconds, CanarySteps, OnApprovalTimeout } from '../../workflows/gate-policy';
import { DEPLOYMENT_STATUSES } from '../../db/models';
import { pageOf, PageQuery, slug } from './common';

const fromPolicy =
  "Left out: the specialization's gate policy (GET /performance/thresholds, `gate`). Weaker than the policy needs admin.";

export const DeployRequest = z
  .strictObject({
    specialization: slug(100).openapi({ example: 'automotive-sales' }),
    steps: CanarySteps.optional().openapi({
      example: DEFAULT_STEPS,
      description: `Canary weights in percent. A canary that starts higher or has fewer steps than the policy's is weaker. ${fromPolicy}`,
    }),
    analysis: AnalysisFields.partial()
      .optional()
      .openapi({
        example: DEFAULT_ANALYSIS,
        description: `What each step must show; fields left out take the policy's. A higher maxErrorRate or maxP95LatencyMs, or a lower minAccuracy or minRequests, is weaker. ${fromPolicy}`,
      }),
    requireApproval: z
      .boolean()
      .optional()
      .openapi({ description: `Wait for an approval before promoting. ${fromPolicy}` }),
    approvalTimeoutSeconds: ApprovalTimeoutSeconds.optional().openapi({ description: fromPolicy }),
    onApprovalTimeout: OnApprovalTimeout.optional().openapi({
      description: `What happens when nobody approves in time; 'promote' is weaker than 'rollback'. ${fromPolicy}`,
    }),
    fourEyes: z
      .boolean()
      .optional()
      .openapi({ description: `The approver must be someone other than the deployer. ${fromPolicy}` }),
    watch: z.boolean().default(true).openapi({
      description:
        'Once promoted, make sure a watchdog watches the specialization (unless the thresholds file says watch: false)',
    }),
  })
  .openapi('DeployRequest');

export const DeploymentStarted = z
  .object({ deploymentId: z.uuid(), workflowId: z.string(), webUiUrl: z.string() })
  .openapi('DeploymentStarted');

export const DeploymentSchema = z
  .object({
    id: z.uuid(),
    modelId: z.uuid(),
    specialization: z.string(),
    status: z.enum(DEPLOYMENT_STATUSES),
    reason: z.string().nullable(),
    config: z.record(z.string(), z.unknown()).nullable(),
    decisions: z.array(z.record(z.string(), z.unknown())),
    workflowId: z.string().nullable(),
    webUiUrl: z.string().nullable(),
    deployedAt: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    live: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "The workflow's status query while the rollout runs" }),
  })
  .openapi('Deployment');

export const ApproveRequest = z.strictObject({ comment: z.string().max(1000).optional() }).openapi('ApproveRequest');
export const AbortRequest = z.strictObject({ reason: z.string().min(1).max(1000).optional() }).openapi('AbortRequest');

export const DeploymentListQuery = PageQuery.extend({
  specialization: slug(100)
    .optional()
    .openapi({ param: { name: 'specialization', in: 'query' } }),
  status: z
    .enum(DEPLOYMENT_STATUSES)
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
  modelId: z
    .uuid()
    .optional()
    .openapi({ param: { name: 'modelId', in: 'query' } }),
});

/** A deployment in a list: its decisions are on GET /deployments/{id}; the last one says where it stands. */
export const DeploymentSummary = DeploymentSchema.omit({ decisions: true, live: true })
  .extend({ lastDecision: z.record(z.string(), z.unknown()).nullable() })
  .openapi('DeploymentSummary');

export const DeploymentList = pageOf(DeploymentSummary).openapi('DeploymentList');
