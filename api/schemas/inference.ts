import { z } from '@hono/zod-openapi';
import { slug } from './common';

export const SpecializationParam = z.object({
  specialization: slug(100).openapi({ param: { name: 'specialization', in: 'path' }, example: 'automotive-sales' }),
});

export const RequestIdHeader = z.object({
  'x-request-id': z
    .string()
    .max(128)
    .regex(/^[\w.:-]+$/, 'must be letters, digits, ".", ":", "_" or "-"')
    .optional()
    .openapi({ description: 'Your id for this request; echoed back and recorded. One is made up when absent.' }),
});

export const InferenceRequest = z
  .strictObject({
    input: z.string().min(1).max(10_000).openapi({ example: 'Do you have any certified pre-owned SUVs under 30k?' }),
  })
  .openapi('InferenceRequest');

export const InferenceResultSchema = z
  .object({
    modelId: z.uuid(),
    modelName: z.string(),
    version: z.string(),
    output: z.object({
      label: z.string().openapi({ example: 'automotive-sales' }),
      scores: z
        .record(z.string(), z.number())
        .openapi({ example: { 'automotive-sales': 0.91, 'parts-specialist': 0.05, 'service-advisor': 0.04 } }),
    }),
    latencyMs: z.number().openapi({ description: 'Time spent serving the request, queueing included' }),
    requestId: z.string(),
    deploymentId: z.uuid(),
    track: z
      .enum(['stable', 'canary', 'probe'])
      .openapi({ description: 'stable or canary for live requests; probe for watchdog probes' }),
    usage: z
      .object({
        inputTokens: z
          .number()
          .int()
          .openapi({ description: "Tokens of the input, counted with the model's own tokenizer" }),
        outputTokens: z.number().int().openapi({ description: 'Tokens of the answer (the label)' }),
        costPer1kTokens: z.number().openapi({
          description:
            "The model's price from its registry entry (config.costPer1kTokens), else the price announced to RelayCore",
        }),
        costDollars: z.number().openapi({ description: '(inputTokens + outputTokens) / 1000 × costPer1kTokens' }),
      })
      .openapi('Usage'),
  })
  .openapi('InferenceResult');

export const FaultRequest = z
  .strictObject({
    modelId: z.uuid(),
    latencyMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .optional()
      .openapi({ description: 'Added to every request of the model' }),
    errorRate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .openapi({ description: 'Fraction of requests that fail with 502 model_error' }),
    ttl: z.number().int().min(1).max(86_400).openapi({ description: 'Seconds until the fault is lifted' }),
  })
  .refine((f) => f.latencyMs !== undefined || f.errorRate !== undefined, {
    message: 'give latencyMs, errorRate or both',
  })
  .openapi('FaultRequest');

export const FaultSchema = z
  .object({
    modelId: z.uuid(),
    latencyMs: z.number(),
    errorRate: z.number(),
    ttl: z.number().int(),
    createdAt: z.string(),
    expiresAt: z.string(),
    createdBy: z.string(),
  })
  .openapi('Fault');

export const FaultList = z.object({ items: z.array(FaultSchema) }).openapi('FaultList');

export const ModelIdParam = z.object({
  modelId: z.uuid({ error: 'must be a UUID' }).openapi({ param: { name: 'modelId', in: 'path' } }),
});
