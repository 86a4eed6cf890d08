import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';

/**
 * How long a GET waits for a workflow's live view. A query needs a worker to answer it; without one
 * the server would hold the request until its own timeout, so a read answers from the database
 * instead (the caller gets null for the live part).
 */
export const LIVE_QUERY_DEADLINE_MS = 2_000;

export function queryLive<T>(temporal: Client, workflowId: string, query: QueryDefinition<T, []>): Promise<T> {
  return temporal.withDeadline(Date.now() + LIVE_QUERY_DEADLINE_MS, () => temporal.workflow.getHandle(workflowId).query(query));
}
