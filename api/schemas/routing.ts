import { z } from '@hono/zod-openapi';
import { LimitQuery, SwitchEventSchema } from './performance';
import { DeploymentSummary } from './deployments';

export const HistoryQuery = LimitQuery.extend({
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a change id (from a previous page)')
    .optional()
    .openapi({
      param: { name: 'before', in: 'query' },
      description: 'Page on: only changes older than this id (the last id of the previous page)',
    }),
});

const Served = z
  .object({ deploymentId: z.uuid(), modelId: z.uuid(), modelName: z.string(), version: z.string() })
  .openapi('ServedDeployment');

const Tracks = {
  stable: Served.nullable(),
  canary: Served.extend({ weight: z.number().int() }).nullable(),
  backup: Served.nullable(),
  failoverFrom: Served.nullable().openapi({
    description: 'While the watchdog has failed over: the deployment it failed away from',
  }),
};

export const CurrentRoutingSchema = z
  .object({ specialization: z.string(), ...Tracks, updatedAt: z.string(), updatedBy: z.string().nullable() })
  .openapi('Routing');

export const HistoryPeriodSchema = z
  .object({
    id: z.string().openapi({ description: 'Change id (page on with ?before=)' }),
    from: z.string().openapi({ description: 'When this routing began' }),
    to: z.string().nullable().openapi({ description: 'When the next change ended it; null while it serves' }),
    ...Tracks,
    change: z.object({
      cause: z.enum([
        'canary-step',
        'canary-removed',
        'promotion',
        'rollback',
        'watchdog-switch',
        'watchdog-switch-back',
      ]),
      reason: z.string(),
      deploymentId: z
        .uuid()
        .nullable()
        .openapi({ description: 'The deployment whose rollout or rollback made the change' }),
      workflowId: z.string().nullable(),
      decisionKey: z
        .string()
        .nullable()
        .openapi({ description: "The watchdog decision's key (its model_switch_events row)" }),
      webUiUrl: z.string().nullable(),
    }),
  })
  .openapi('HistoryPeriod');

export const HistorySchema = z
  .object({ specialization: z.string(), items: z.array(HistoryPeriodSchema), nextBefore: z.string().nullable() })
  .openapi('History');

export const OverviewSchema = z
  .object({
    items: z.array(
      z.object({
        specialization: z.string(),
        routing: CurrentRoutingSchema,
        watchdog: z
          .object({
            lastWindowAt: z.string(),
            serving: z.enum(['primary', 'backup']),
            lastVerdict: z.string(),
          })
          .nullable()
          .openapi({ description: "Its watchdog's newest recorded window (null: none recorded)" }),
        openAlerts: z.number().int(),
        lastSwitches: z.array(SwitchEventSchema),
      }),
    ),
    rollouts: z.array(DeploymentSummary).openapi({ description: 'Rollouts under way (staging or rolling out)' }),
  })
  .openapi('Overview');
