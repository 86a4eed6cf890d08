import { z } from '@hono/zod-openapi';
import { DeployRequest } from './deployments';
import { pageOf, PageQuery, slug } from './common';
import { HyperparametersSchema } from '../../ml/hyperparameters';

export const TrainingJobRequest = z
  .strictObject({
    name: slug(200).openapi({
      example: 'sales-router',
      description: 'Model name; each completed job registers its next version.',
    }),
    specialization: slug(100).openapi({ example: 'automotive-sales' }),
    baseModel: z
      .string()
      .min(1)
      .max(100)
      .default('hashed-ngrams-softmax')
      .openapi({ example: 'hashed-ngrams-softmax' }),
    dataset: slug(100).default('automotive-queries').openapi({ description: 'A dataset from GET /training/datasets' }),
    trainer: z.enum(['builtin', 'torch'], { error: 'must be "builtin" or "torch"' }).default('builtin'),
    hyperparameters: HyperparametersSchema.default(HyperparametersSchema.parse({})),
    resources: z.strictObject({ gpus: z.number().int().min(0).max(1, 'at most one GPU per job') }).default({ gpus: 0 }),
    autoDeploy: z.boolean().default(false).openapi({
      description: 'Roll the model out behind the health gate once it is registered (deployModel; see `deploy`)',
    }),
    deploy: DeployRequest.omit({ specialization: true })
      .optional()
      .openapi({ description: "Rollout options for autoDeploy (the deploy route's, without specialization)" }),
  })
  .openapi('TrainingJobRequest');
/** A job's request as the route has it: validated, defaults filled in. */
export type TrainingJobRequestBody = z.output<typeof TrainingJobRequest>;

export const TrainingProgressSchema = z
  .object({
    stage: z.string(),
    epoch: z.number(),
    totalEpochs: z.number(),
    step: z.number(),
    totalSteps: z.number(),
    loss: z.number().nullable(),
    samplesPerSec: z.number().nullable(),
    eta: z.number().nullable(),
    resumedFromCheckpoint: z.boolean(),
    lastCheckpointEpoch: z.number().nullable(),
    epochs: z
      .array(z.object({ epoch: z.number(), loss: z.number().nullable() }))
      .optional()
      .openapi({ description: 'The loss at the end of each epoch so far, oldest first' }),
  })
  .openapi('TrainingProgress');

export const TrainingJobSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']),
    specialization: z.string().nullable(),
    trainer: z.string().nullable(),
    config: z.record(z.string(), z.unknown()),
    modelId: z.uuid().nullable(),
    outputPath: z.string().nullable(),
    metrics: z.record(z.string(), z.unknown()).nullable(),
    errorMessage: z.string().nullable(),
    workflowId: z.string().nullable(),
    webUiUrl: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    workflowStartedAt: z.string().nullable().openapi({
      description:
        "When Temporal took the job's workflow; null while the job waits for it (the API starts it as soon as Temporal answers)",
    }),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    progress: TrainingProgressSchema.nullable(),
  })
  .openapi('TrainingJob');

export const TrainingJobStarted = z
  .object({
    jobId: z.uuid(),
    workflowId: z.string(),
    webUiUrl: z.string(),
    status: z.string(),
    workflowStarted: z.boolean().openapi({
      description:
        'Whether Temporal had taken the workflow when this answer was sent. False: the job is stored and its ' +
        'workflow starts as soon as Temporal takes it (busy or down); GET the job for workflowStartedAt',
    }),
  })
  .openapi('TrainingJobStarted');

export const TrainingJobCancelling = z
  .object({ jobId: z.uuid(), workflowId: z.string(), webUiUrl: z.string(), status: z.literal('cancelling') })
  .openapi('TrainingJobCancelling');

export const TrainingJobListQuery = PageQuery.extend({
  status: z
    .enum(['pending', 'running', 'completed', 'failed', 'cancelled'])
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
  specialization: slug(100)
    .optional()
    .openapi({ param: { name: 'specialization', in: 'query' } }),
  trainer: z
    .enum(['builtin', 'torch'])
    .optional()
    .openapi({ param: { name: 'trainer', in: 'query' } }),
  name: slug(200)
    .optional()
    .openapi({ param: { name: 'name', in: 'query' } }),
});

export const TrainingJobList = pageOf(TrainingJobSchema).openapi('TrainingJobList');

export const DatasetList = z
  .object({
    items: z.array(
      z.object({
        name: z.string(),
        description: z.string().nullable(),
        version: z.string().nullable(),
        labels: z.record(z.string(), z.array(z.string())),
      }),
    ),
  })
  .openapi('DatasetList');

export const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Same key (per caller) → the same job, never a second one.',
    }),
});
