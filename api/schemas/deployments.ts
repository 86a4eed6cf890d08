import { z } from '@hono/zod-openapi';
import { DEFAULT_ANALYSIS, DEFAULT_STEPS } from '../../workflows/deployment-types';
import { DEPLOYMENT_STATUSES } from '../../db/models';
import { pageOf, PageQuery, slug } from './common';

export const DeployRequest = z
  .strictObject({
    specialization: slug(100).openapi({ example: 'automotive-sales' }),
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(10)
      .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), 'must increase')
      .refine((s) => s[s.length - 1] === 100, 'must end at 100')
      .default(DEFAULT_STEPS)
      .openapi({ example: DEFAULT_STEPS, description: 'Canary weights in percent' }),
    analysis: z
      .strictObject({
        windowSeconds: z.number().int().min(1).max(3600).default(DEFAULT_ANALYSIS.windowSeconds),
        minRequests: z.number().int().min(1).max(1_000_000).default(DEFAULT_ANALYSIS.minRequests),
        maxWindows: z.number().int().min(1).max(20).default(DEFAULT_ANALYSIS.maxWindows),
        maxErrorRate: z.number().min(0).max(1).default(DEFAULT_ANALYSIS.maxErrorRate),
        maxP95LatencyMs: z.number().positive().max(600_000).default(DEFAULT_ANALYSIS.maxP95LatencyMs),
        minAccuracy: z.number().min(0).max(1).default(DEFAULT_ANALYSIS.minAccuracy),
      })
      .default(DEFAULT_ANALYSIS),
    requireApproval: z.boolean().default(false),
    approvalTimeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
    onApprovalTimeout: z.enum(['rollback', 'promote']).default('rollback'),
    watch: z.boolean().default(true).openapi({ description: 'Once promoted, make sure a watchdog watches the specialization (unless the thresholds file says watch: false)' }),
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
    live: z.record(z.string(), z.unknown()).nullable().openapi({ description: "The workflow's status query while the rollout runs" }),
  })
  .openapi('Deployment');

export const ApproveRequest = z.strictObject({ comment: z.string().max(1000).optional() }).openapi('ApproveRequest');
export const AbortRequest = z.strictObject({ reason: z.string().min(1).max(1000).optional() }).openapi('AbortRequest');

export const DeploymentListQuery = PageQuery.extend({
  specialization: slug(100).optional().openapi({ param: { name: 'specialization', in: 'query' } }),
  status: z.enum(DEPLOYMENT_STATUSES).optional().openapi({ param: { name: 'status', in: 'query' } }),
  modelId: z.uuid().optional().openapi({ param: { name: 'modelId', in: 'query' } }),
});

/** A deployment in a list: its decisions are on GET /deployments/{id}; the last one says where it stands. */
export const DeploymentSummary = DeploymentSchema.omit({ decisions: true, live: true })
  .extend({ lastDecision: z.record(z.string(), z.unknown()).nullable() })
  .openapi('DeploymentSummary');

export const DeploymentList = pageOf(DeploymentSummary).openapi('DeploymentList');
