import type { OpenAPIHonoOptions } from '@hono/zod-openapi';
import type { AppEnv } from './deps';
import { errorBody } from './errors';

/**
 * Renders zod failures as our error body, naming each field (`body.name`, `query.limit`), so a
 * client's mistake is always a 400 it can act on.
 */
export const validationHook: NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']> = (result, c) => {
  if (result.success) {
    // PostgreSQL text cannot hold NUL: refused here with its field named, not a 500 from the database.
    const nul = result.target === 'json' ? pathToNul(result.data, ['body']) : undefined;
    if (nul)
      return c.json(
        errorBody('validation_error', `invalid request: ${nul}: must not contain the NUL character (\\u0000)`, {
          fields: [{ field: nul, message: 'must not contain the NUL character (\\u0000)' }],
        }),
        400,
      );
    return;
  }
  const fields = result.error.issues.map((issue) => ({
    field: [result.target === 'json' ? 'body' : result.target, ...issue.path.map((p) => String(p))].join('.'),
    message: issue.message,
  }));
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return c.json(errorBody('validation_error', `invalid request: ${summary}`, { fields }), 400);
};

/** The first field (`body.a.0.b`) of a parsed body whose string, or key, holds a NUL character. */
function pathToNul(value: unknown, at: string[]): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at.join('.') : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = pathToNul(value[i], [...at, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes('\u0000')) return [...at, key.replaceAll('\u0000', '\\u0000')].join('.');
      const found = pathToNul(inner, [...at, key]);
      if (found) return found;
    }
  }
  return undefined;
}
