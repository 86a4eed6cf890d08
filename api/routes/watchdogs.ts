import { mayAccess, REPORTER_ROLE } from '../../auth/token';
import { policy } from '../auth/route-policy';
import { requireSpecialization } from '../auth/scope';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ApiDeps, AppEnv } from '../deps';
import { ApiError, conflict, notFound } from '../errors';
import {
  authErrors,
  conflictError,
  jsonBody,
  jsonResponse,
  notFoundError,
  rateLimitedError,
  withLinks,
} from '../schemas/common';
import {
  IncidentRequest,
  SpecializationOnlyParam,
  WatchdogCreateRequest,
  WatchdogList,
  WatchdogRollbackRequest,
  WatchdogSchema,
} from '../schemas/performance';
import { queryLive, updateWithin } from '../live-query';
import { workflowUrl } from '../web-ui';
import { createWatchdogSchedule } from '../../temporal/watchdog-schedule';
import {
  pauseSignal,
  reportIncidentSignal,
  resumeSignal,
  rollbackUpdate,
  watchdogStateQuery,
  watchdogWorkflowId,
} from '../../workflows/watchdog/performance-watchdog';
import { watchdogScheduleId } from '../../workflows/watchdog/supervise-watchdog';

const security = [{ bearerAuth: [] }];
const tags = ['watchdogs'];
/** How often a watchdog's Schedule checks that it runs and evaluates. */

const specParam = { params: SpecializationOnlyParam };
const accepted = jsonResponse(WatchdogSchema, 'The watchdog');

const createWatchdogRoute = createRoute({
  method: 'post',
  path: '/watchdogs',
  operationId: 'createWatchdog',
  ...policy({ access: 'admin', scope: 'named', limit: 'workflow-starts' }),
  tags,
  summary: 'Start watching a specialization (a Temporal Schedule that keeps watchdog-<specialization> running)',
  security,
  request: { body: jsonBody(WatchdogCreateRequest) },
  responses: {
    201: withLinks(
      jsonResponse(WatchdogSchema, 'Watchdog scheduled and started'),
      [
        'getWatchdog',
        'pauseWatchdog',
        'resumeWatchdog',
        'deleteWatchdog',
        'rollbackWatchdog',
        'reportIncident',
        'getRouting',
        'getDecisions',
        'getTrace',
        'getSpecializationHistory',
      ],
      { specialization: '$response.body#/specialization' },
    ),
    ...authErrors,
    ...conflictError,
    ...rateLimitedError,
  },
});
const listWatchdogsRoute = createRoute({
  method: 'get',
  path: '/watchdogs',
  operationId: 'listWatchdogs',
  ...policy({ access: 'read', scope: 'list' }),
  tags,
  summary: 'Every watchdog with its state',
  security,
  responses: { 200: jsonResponse(WatchdogList, 'Watchdogs'), ...authErrors },
});
const getWatchdogRoute = createRoute({
  method: 'get',
  path: '/watchdogs/{specialization}',
  operationId: 'getWatchdog',
  ...policy({ access: 'read', scope: 'named' }),
  tags,
  summary: 'One watchdog: streaks, serving and backup model, last decision with its numbers',
  security,
  request: specParam,
  responses: { 200: accepted, ...authErrors, ...notFoundError },
});
const pauseRoute = createRoute({
  method: 'post',
  path: '/watchdogs/{specialization}/pause',
  operationId: 'pauseWatchdog',
  ...policy({ access: 'admin', scope: 'named' }),
  tags,
  summary: 'Pause the schedule and the evaluation (state is kept)',
  security,
  request: specParam,
  responses: { 200: accepted, ...authErrors, ...notFoundError },
});
const resumeRoute = createRoute({
  method: 'post',
  path: '/watchdogs/{specialization}/resume',
  operationId: 'resumeWatchdog',
  ...policy({ access: 'admin', scope: 'named' }),
  tags,
  summary: 'Resume a paused watchdog',
  security,
  request: specParam,
  responses: { 200: accepted, ...authErrors, ...notFoundError },
});
const deleteRoute = createRoute({
  method: 'delete',
  path: '/watchdogs/{specialization}',
  operationId: 'deleteWatchdog',
  ...policy({ access: 'admin', scope: 'named' }),
  tags,
  summary: 'Stop watching: deletes the schedule and cancels the watchdog (routing stays as it is)',
  security,
  request: specParam,
  responses: { 204: { description: 'Deleted' }, ...authErrors, ...notFoundError },
});
const rollbackRoute = createRoute({
  method: 'post',
  path: '/watchdogs/{specialization}/rollback',
  operationId: 'rollbackWatchdog',
  ...policy({ access: 'admin', scope: 'named' }),
  tags,
  summary: 'Switch back to the primary now (for autoRollback: false, or an operator who knows better)',
  security,
  request: { ...specParam, body: { ...jsonBody(WatchdogRollbackRequest), required: false } },
  responses: { 202: accepted, ...authErrors, ...notFoundError, ...conflictError },
});
const incidentRoute = createRoute({
  method: 'post',
  path: '/watchdogs/{specialization}/incidents',
  operationId: 'reportIncident',
  ...policy({ access: 'admin', role: REPORTER_ROLE, scope: 'named', limit: 'incidents' }),
  tags,
  summary:
    "Report a burst of errors to the watchdog: evidence in the primary's next window, never a verdict on its own",
  description:
    'Needs admin or the `reporter` role; rate-limited per subject (NW_RATE_LIMIT_INCIDENTS_PER_MINUTE). Reported requests count at most as many as the window observed itself.',
  security,
  request: { ...specParam, body: jsonBody(IncidentRequest) },
  responses: { 202: accepted, ...authErrors, ...notFoundError, ...conflictError, ...rateLimitedError },
});

export function createWatchdogRoutes({ temporal, config }: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const { namespace, taskQueue, uiUrl } = config.temporal;

  /** The schedule's description; 404 when the specialization has no watchdog. */
  const schedule = async (specialization: string) => {
    try {
      return await temporal.schedule.getHandle(watchdogScheduleId(specialization)).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw notFound(`watchdog for ${specialization}`);
      throw err;
    }
  };
  const view = async (specialization: string) => {
    const { paused } = (await schedule(specialization)).state;
    const workflowId = watchdogWorkflowId(specialization);
    const state = await watchdogState(temporal, workflowId);
    return {
      specialization,
      scheduleId: watchdogScheduleId(specialization),
      workflowId,
      paused,
      running: state !== null,
      webUiUrl: workflowUrl(uiUrl, namespace, workflowId),
      state,
    };
  };
  const running = async (specialization: string) => {
    await schedule(specialization);
    return temporal.workflow.getHandle(watchdogWorkflowId(specialization));
  };

  app.openapi(createWatchdogRoute, async (c) => {
    const { specialization } = c.req.valid('json');
    requireSpecialization(c, specialization);
    const created = await createWatchdogSchedule(temporal, {
      specialization,
      taskQueue,
      note: `created by ${c.get('principal').sub}`,
    });
    if (created === 'exists')
      throw conflict(`a watchdog for ${specialization} exists`, { scheduleId: watchdogScheduleId(specialization) });
    return c.json(await view(specialization), 201);
  });

  app.openapi(listWatchdogsRoute, async (c) => {
    const items = [];
    for await (const schedule of temporal.schedule.list()) {
      if (schedule.action?.type !== 'startWorkflow' || schedule.action.workflowType !== 'superviseWatchdog') continue;
      const specialization = schedule.scheduleId.replace(/^watchdog-/, '');
      if (!mayAccess(c.get('principal'), specialization)) continue;
      try {
        items.push(await view(specialization));
      } catch (err) {
        // Deleted between the list and its description: not a watchdog any more. Anything else
        // (Temporal down) is the caller's answer, not a shorter list.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    return c.json({ items }, 200);
  });

  app.openapi(getWatchdogRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    return c.json(await view(specialization), 200);
  });

  app.openapi(pauseRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const handle = await running(specialization);
    await temporal.schedule.getHandle(watchdogScheduleId(specialization)).pause(`paused by ${c.get('principal').sub}`);
    await handle.signal(pauseSignal).catch(ignoreNotFound);
    return c.json(await view(specialization), 200);
  });

  app.openapi(resumeRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const handle = await running(specialization);
    await temporal.schedule
      .getHandle(watchdogScheduleId(specialization))
      .unpause(`resumed by ${c.get('principal').sub}`);
    await handle.signal(resumeSignal).catch(ignoreNotFound);
    return c.json(await view(specialization), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const handle = await running(specialization);
    await temporal.schedule.getHandle(watchdogScheduleId(specialization)).delete();
    await handle.cancel().catch(ignoreNotFound);
    return c.body(null, 204);
  });

  app.openapi(rollbackRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const body = c.req.valid('json') ?? { reason: 'manual rollback' };
    const handle = await running(specialization);
    // Refused by the watchdog, or the watchdog not running: a 409 (api/errors.ts).
    await updateWithin(temporal, handle.workflowId, () =>
      handle.executeUpdate(rollbackUpdate, { args: [{ by: c.get('principal').sub, reason: body.reason }] }),
    );
    return c.json(await view(specialization), 202);
  });

  app.openapi(incidentRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const handle = await running(specialization);
    await handle.signal(reportIncidentSignal, { ...c.req.valid('json'), by: c.get('principal').sub });
    return c.json(await view(specialization), 202);
  });

  return app;
}

/** The running watchdog's `state`, or null when it does not run (or does not answer). */
export async function watchdogState(temporal: Client, workflowId: string): Promise<Record<string, unknown> | null> {
  try {
    const handle = temporal.workflow.getHandle(workflowId);
    if ((await handle.describe()).status.name !== 'RUNNING') return null;
    return (await queryLive(temporal, workflowId, watchdogStateQuery)) as unknown as Record<string, unknown>;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    const e = err as { name?: string };
    // A query nobody answers (no worker yet): the watchdog exists but says nothing now.
    if (e.name === 'QueryNotRegisteredError' || e.name === 'ServiceError' || (e as { code?: number }).code === 4)
      return null;
    throw err;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof WorkflowNotFoundError)) throw err;
}
