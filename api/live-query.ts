import { WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { unavailable } from './errors';
import type { QueryDefinition } from '@temporalio/common';

/**
 * How long a GET waits for a workflow's live view. A query needs a worker to answer it; without one
 * the server would hold the request until its own timeout, so a read answers from the database
 * instead (the caller gets null for the live part).
 */
export const LIVE_QUERY_DEADLINE_MS = 2_000;

export function queryLive<T>(temporal: Client, workflowId: string, query: QueryDefinition<T, []>): Promise<T> {
  return temporal.withDeadline(Date.now() + LIVE_QUERY_DEADLINE_MS, () =>
    temporal.workflow.getHandle(workflowId).query(query),
  );
}

/**
 * How long a route waits for a workflow to accept an Update. Accepting needs a worker; without one
 * the server would hold the request open, so the caller gets 503 (try again) instead.
 */
export const UPDATE_DEADLINE_MS = 5_000;

export async function updateWithin<R>(temporal: Client, workflow: string, update: () => Promise<R>): Promise<R> {
  try {
    return await temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, update);
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw unavailable(`the worker running ${workflow}`);
    throw err;
  }
}
