import { z } from '@hono/zod-openapi';
import { DeploymentSummary } from './deployments';
import { ModelSchema } from './models';
import { AlertSchema, SwitchEventSchema } from './performance';
import { TrainingJobSchema } from './training';

export const LINEAGE_LIMIT = 100;

export const ModelLineage = z
  .object({
    model: ModelSchema,
    trainingJob: TrainingJobSchema.nullable().openapi({
      description:
        'The job that trained it — dataset and hyperparameters in `config` — or null for a model registered by hand',
    }),
    deployments: z.array(DeploymentSummary).openapi({
      description: `Its rollouts, newest first (at most ${LINEAGE_LIMIT}); each one's decisions are on GET /deployments/{id}`,
    }),
    switchEvents: z
      .array(SwitchEventSchema)
      .openapi({ description: `Watchdog switches away from it or to it, newest first (at most ${LINEAGE_LIMIT})` }),
    alerts: z.array(AlertSchema).openapi({ description: `Alerts about it, newest first (at most ${LINEAGE_LIMIT})` }),
  })
  .openapi('ModelLineage');
