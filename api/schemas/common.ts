import { z } from '@hono/zod-openapi';

/** Names, specializations and dataset names: lower-case, URL- and label-safe, never a path. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

export const slug = (max: number) =>
  z.string().min(1).max(max).regex(SLUG_PATTERN, 'must be lower-case letters, digits, ".", "_" or "-"');

/** A whole number in a query string: "" and "1.5" are refused (a plain coerce would read "" as 0). */
export const queryInt = z
  .string()
  .regex(/^-?\d+$/, 'must be a whole number')
  .transform(Number)
  .openapi({ type: 'integer' });

/** `skip` and `limit` of every offset-paged list (answered with `total`, `skip` and `limit`). */
export const PageQuery = z.object({
  skip: queryInt
    .pipe(z.number().int().min(0))
    .default(0)
    .openapi({ param: { name: 'skip', in: 'query' }, type: 'integer', minimum: 0, default: 0 }),
  limit: queryInt
    .pipe(z.number().int().min(1).max(100))
    .default(20)
    .openapi({ param: { name: 'limit', in: 'query' }, type: 'integer', minimum: 1, maximum: 100, default: 20 }),
});

/** A page of `item`s with where it starts and how many there are in all. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), skip: z.number().int(), limit: z.number().int() });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_error' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export const UuidParam = z.object({
  id: z
    .uuid({ error: 'must be a UUID' })
    .openapi({ param: { name: 'id', in: 'path' }, example: '0b6b2c1e-2d55-4c38-9f35-0e2e7c1f0c11' }),
});

export const WorkflowStarted = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    webUiUrl: z.url(),
  })
  .openapi('WorkflowStarted');

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The error statuses every authenticated route can answer. */
export const authErrors = {
  400: errorResponse('Invalid input; details name the fields'),
  401: errorResponse('Missing, invalid, expired or revoked token'),
  403: errorResponse('No neuroweaver access, or too low a level'),
  503: errorResponse('A dependency (database, Temporal) is unavailable'),
};
export const notFoundError = { 404: errorResponse('Not found') };
export const conflictError = { 409: errorResponse('Conflict') };
export const tooLargeError = { 413: errorResponse('Request body too large') };
export const rateLimitedError = {
  429: errorResponse('Over the per-subject limit of this kind of request (Retry-After)'),
};

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * A response's OpenAPI links: the operations that take what it returns, each given the same
 * parameters (runtime expressions such as `$response.body#/id`). Clients and schemathesis' stateful
 * phase (`npm run test:fuzz`) follow them from a created object to what acts on it.
 */
export const withLinks = <R extends object>(
  response: R,
  operationIds: string[],
  parameters: Record<string, string>,
) => ({
  ...response,
  links: Object.fromEntries(operationIds.map((operationId) => [operationId, { operationId, parameters }])),
});
