import type { OpenAPIHonoOptions } from '@hono/zod-openapi';
import type { AppEnv } from './deps';
import { errorBody } from './errors';

/**
 * Renders zod failures as our error body, naming each field (`body.name`, `query.limit`), so a
 * client's mistake is always a 400 it can act on.
 */
export const validationHook: NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']> = (result, c) => {
  if (result.success) return;
  const fields = result.error.issues.map((issue) => ({
    field: [result.target === 'json' ? 'body' : result.target, ...issue.path.map((p) => String(p))].join('.'),
    message: issue.message,
  }));
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return c.json(errorBody('validation_error', `invalid request: ${summary}`, { fields }), 400);
};
