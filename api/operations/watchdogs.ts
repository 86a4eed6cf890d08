/** The OpenAPI operations of watchdogs: path, policy, request and responses (handlers: api/routes/watchdogs.ts). */
import { REPORTER_ROLE } from '../../auth/token';
import { policy } from '../auth/route-policy';
import { createRoute } from '@hono/zod-openapi';
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

const security = [{ bearerAuth: [] }];
const tags = ['watchdogs'];

const specParam = { params: SpecializationOnlyParam };
const accepted = jsonResponse(WatchdogSchema, 'The watchdog');

export const createWatchdogRoute = createRoute({
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
export const listWatchdogsRoute = createRoute({
  method: 'get',
  path: '/watchdogs',
  operationId: 'listWatchdogs',
  ...policy({ access: 'read', scope: 'list' }),
  tags,
  summary: 'Every watchdog with its state',
  security,
  responses: { 200: jsonResponse(WatchdogList, 'Watchdogs'), ...authErrors },
});
export const getWatchdogRoute = createRoute({
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
export const pauseRoute = createRoute({
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
export const resumeRoute = createRoute({
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
export const deleteRoute = createRoute({
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
export const rollbackRoute = createRoute({
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
export const incidentRoute = createRoute({
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
