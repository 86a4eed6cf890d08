import { Hono } from 'hono';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { createLogger } from '../config/logger';
import { createErrorHandler } from '../api/errors';

/** Temporal's answers mapped once for every route (api/errors.ts), not per route. */
describe('Temporal client errors as HTTP answers', () => {
  const answer = async (err: Error) => {
    const app = new Hono();
    app.onError(createErrorHandler(createLogger('test', 'silent')));
    app.get('/', () => {
      throw err;
    });
    const res = await app.request('/');
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  };

  it('answers an Update the workflow refused with 409 and its reason', async () => {
    expect(
      await answer(
        new WorkflowUpdateFailedError('update failed', new Error('nothing to approve: the rollout is rolling-out')),
      ),
    ).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'nothing to approve: the rollout is rolling-out' } },
    });
  });

  it('answers a workflow that no longer runs with 409 naming it', async () => {
    expect(await answer(new WorkflowNotFoundError('not found', 'watchdog-parts', undefined))).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'watchdog-parts is not running' } },
    });
  });

  it('answers Temporal unreachable with 503 and Retry-After, anything else with a bare 500', async () => {
    const unreachable = Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), {
      name: 'ServiceError',
      code: 14,
    });
    expect((await answer(unreachable)).status).toBe(503);
    expect(await answer(new Error('boom'))).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: 'internal server error' } },
    });
  });
});
