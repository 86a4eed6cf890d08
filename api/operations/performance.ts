/** The OpenAPI operations of performance: path, policy, request and responses (handlers: api/routes/performance.ts). */
import { policy } from '../auth/route-policy';
import { createRoute } from '@hono/zod-openapi';
import { authErrors, jsonBody, jsonResponse } from '../schemas/common';
import {
  BacktestRequest,
  BacktestResultSchema,
  DecisionsSchema,
  LimitQuery,
  SpecializationOnlyParam,
  ThresholdsPutRequest,
  ThresholdsVersionSchema,
  TraceQuery,
} from '../schemas/performance';

const security = [{ bearerAuth: [] }];
const tags = ['performance'];

export const getThresholdsRoute = createRoute({
  method: 'get',
  path: '/performance/thresholds',
  operationId: 'getThresholds',
  ...policy({ access: 'read', scope: 'list' }),
  tags,
  summary: 'The watchdog thresholds in force, with their version',
  security,
  responses: { 200: jsonResponse(ThresholdsVersionSchema, 'Thresholds'), ...authErrors },
});
export const putThresholdsRoute = createRoute({
  method: 'put',
  path: '/performance/thresholds',
  operationId: 'putThresholds',
  ...policy({ access: 'admin', scope: 'every' }),
  tags,
  summary: 'Save a new version of the thresholds (validated; written to the thresholds file too when it is writable)',
  security,
  request: { body: jsonBody(ThresholdsPutRequest) },
  responses: { 200: jsonResponse(ThresholdsVersionSchema, 'The new version'), ...authErrors },
});
export const decisionsRoute = createRoute({
  method: 'get',
  path: '/performance/{specialization}/decisions',
  operationId: 'getDecisions',
  ...policy({ access: 'read', scope: 'named' }),
  tags,
  summary:
    "Switch events (newest first) and the watchdog's current view: every decision with its numbers and thresholds version",
  security,
  request: { params: SpecializationOnlyParam, query: LimitQuery },
  responses: { 200: jsonResponse(DecisionsSchema, 'Decisions'), ...authErrors },
});
export const backtestRoute = createRoute({
  method: 'post',
  path: '/performance/backtest',
  operationId: 'runBacktest',
  ...policy({ access: 'write', scope: 'named' }),
  tags,
  summary:
    "Run the watchdog's evaluation over a recorded trace (same code as the workflow and `npm run watchdog:backtest`)",
  security,
  request: { body: jsonBody(BacktestRequest) },
  responses: { 200: jsonResponse(BacktestResultSchema, 'What the watchdog would have decided'), ...authErrors },
});
export const traceRoute = createRoute({
  method: 'get',
  path: '/performance/{specialization}/trace',
  operationId: 'getTrace',
  ...policy({ access: 'read', scope: 'named' }),
  tags,
  summary: 'Export the recorded windows of a specialization as a backtest trace (JSON lines)',
  description:
    'One line per window: the windows of the primary as the watchdog judged them (requests, errors, slow, p95, labelled and correct probe counts, accuracy, cost), and any other deployment ("backup"; the primary too where no watchdog ran) from its recorded requests, with accuracy and cost null (live requests carry no labels).',
  security,
  request: { params: SpecializationOnlyParam, query: TraceQuery },
  responses: {
    200: {
      description: 'application/x-ndjson, one TraceWindow per line',
      content: { 'application/x-ndjson': { schema: { type: 'string' as const } } },
    },
    ...authErrors,
  },
});
