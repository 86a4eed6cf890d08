import { z } from '@hono/zod-openapi';
import { pageOf, PageQuery, slug } from './common';

const jsonObject = z.record(z.string(), z.unknown());

/** Only relative paths inside MODEL_STORAGE_PATH: a caller cannot point the workers at arbitrary files. */
const modelPath = z
  .string()
  .min(1)
  .max(500)
  .refine(
    (p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'),
    'must be a path relative to MODEL_STORAGE_PATH, without ".."',
  );

/** Strict: an undeclared field (status, id, createdBy…) is a 400, so nothing else reaches the table. */
export const ModelRegistration = z
  .strictObject({
    name: slug(255).openapi({ example: 'sales-intent' }),
    description: z.string().max(10_000).optional(),
    specialization: slug(100).openapi({ example: 'automotive-sales' }),
    baseModel: z.string().min(1).max(100).openapi({ example: 'builtin-bow' }),
    version: z
      .string()
      .min(1)
      .max(50)
      .regex(/^[\w.+-]+$/, 'must be letters, digits, ".", "_", "+" or "-"')
      .openapi({ example: '1.0.0' }),
    modelPath: modelPath.optional().openapi({ example: 'sales-intent/1.0.0/model.onnx' }),
    config: z
      .looseObject({
        costPer1kTokens: z.number().min(0).max(1_000).optional().openapi({
          description:
            'Dollars per 1,000 tokens its requests are charged (default: the price announced to RelayCore, 0.002)',
        }),
      })
      .optional(),
    performanceMetrics: jsonObject.optional(),
    deploymentConfig: jsonObject.optional(),
  })
  .openapi('ModelRegistration');

export const ModelSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    specialization: z.string(),
    baseModel: z.string(),
    version: z.string(),
    status: z.string(),
    modelPath: z.string().nullable(),
    artifact: z.object({ sha256: z.string(), sizeBytes: z.number().int() }).nullable().openapi({
      description: 'The SHA-256 and size of the file at modelPath, when an upload or a training job recorded them',
    }),
    config: jsonObject.nullable(),
    performanceMetrics: jsonObject.nullable(),
    deploymentConfig: jsonObject.nullable(),
    validation: jsonObject.nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Model');

export const ModelListQuery = PageQuery.extend({
  specialization: slug(100)
    .optional()
    .openapi({ param: { name: 'specialization', in: 'query' } }),
  status: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
});

export const ModelList = pageOf(ModelSchema).openapi('ModelList');
