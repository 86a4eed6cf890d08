import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HTTPException } from 'hono/http-exception';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ConnectionError as SequelizeConnectionError, DatabaseError as SequelizeDatabaseError } from 'sequelize';
import { RevocationListStale } from '../db/revocations';
import type { Logger } from '../config/logger';

/** The one error body of the API: `{error: {code, message, details}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** A domain error that knows its HTTP status; routes throw these and `onError` renders them. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'bad_request', message, details);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new ApiError(409, 'conflict', message, details);
/** A 400 naming one field, shaped like the validation hook's (`details.fields`). */
export const fieldError = (field: string, message: string) =>
  new ApiError(400, 'validation_error', `invalid request: ${field}: ${message}`, { fields: [{ field, message }] });
export const unavailable = (dependency: string) =>
  new ApiError(503, 'unavailable', `${dependency} is unavailable; try again shortly`, undefined, {
    'Retry-After': '5',
  });

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Temporal's client reports an unreachable server as a gRPC UNAVAILABLE/DEADLINE error. */
function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: number; cause?: { code?: number } };
  const code = e.code ?? e.cause?.code;
  return (
    (e.name === 'ServiceError' || e.name === 'ConnectionError') && (code === undefined || code === 14 || code === 4)
  );
}

/** A statement past NW_DB_STATEMENT_TIMEOUT_MS (57014 query_canceled), or a server that never answered. */
function isDatabaseTimeout(err: unknown): boolean {
  if (!(err instanceof SequelizeDatabaseError)) return /Query read timeout/.test((err as Error).message ?? '');
  const parent = err.parent as { code?: string } | undefined;
  return parent?.code === '57014' || /Query read timeout/.test(err.message);
}

export function createErrorHandler(logger: Logger) {
  return function onError(err: Error, c: Context) {
    if (err instanceof ApiError) {
      return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'http_error';
      return c.json(errorBody(code, err.message || 'request failed'), status);
    }
    if (err instanceof SequelizeConnectionError) {
      logger.warn({ err: err.message }, 'database unavailable');
      return c.json(errorBody('unavailable', 'database is unavailable; try again shortly'), 503, {
        'Retry-After': '5',
      });
    }
    if (isDatabaseTimeout(err) || err instanceof RevocationListStale) {
      logger.warn({ err: err.message }, 'database too slow');
      return c.json(errorBody('unavailable', 'database did not answer in time; try again shortly'), 503, {
        'Retry-After': '5',
      });
    }
    // Temporal's answers, mapped once for every route. A refused Update (its validator or handler
    // said no: nothing to approve, four-eyes, the rollout ended first) and a workflow that no longer
    // runs are conflicts with the object's state: routes 404 the object itself before they reach
    // its workflow, so the object exists and only its run is gone.
    if (err instanceof WorkflowUpdateFailedError) {
      return c.json(errorBody('conflict', (err.cause as Error | undefined)?.message ?? err.message), 409);
    }
    if (err instanceof WorkflowNotFoundError) {
      return c.json(errorBody('conflict', `${err.workflowId ?? 'the workflow'} is not running`), 409);
    }
    if (isTemporalUnavailable(err)) {
      logger.warn({ err: err.message }, 'temporal unavailable');
      return c.json(errorBody('unavailable', 'Temporal is unavailable; try again shortly'), 503, {
        'Retry-After': '5',
      });
    }
    // Unexpected: logged in full, answered with nothing an attacker could use.
    logger.error({ err, path: c.req.path }, 'unhandled error');
    return c.json(errorBody('internal', 'internal server error'), 500);
  };
}
