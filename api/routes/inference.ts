import { requireSpecialization } from '../auth/scope';
import { policy } from '../auth/route-policy';
import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { annotateSpan } from '../../config/tracing';
import type { AppEnv } from '../deps';
import type { InferenceService } from '../inference/service';
import {
  authErrors,
  ErrorSchema,
  jsonBody,
  jsonResponse,
  notFoundError,
  rateLimitedError,
  tooLargeError,
} from '../schemas/common';
import { InferenceRequest, InferenceResultSchema, RequestIdHeader, SpecializationParam } from '../schemas/inference';

const errorResponse = (description: string) => jsonResponse(ErrorSchema, description);

const inferRoute = createRoute({
  method: 'post',
  path: '/inference/{specialization}',
  operationId: 'infer',
  ...policy({ access: 'read', scope: 'named', limit: 'inference' }),
  tags: ['inference'],
  summary: 'Classify one input with the model the routing table serves for the specialization',
  description:
    'Needs only read access. The canary answers with probability canaryWeight/100, the stable deployment otherwise; ' +
    'routing changes are served within a second. Every request is recorded (Prometheus, performance_metrics).',
  security: [{ bearerAuth: [] }],
  request: { params: SpecializationParam, headers: RequestIdHeader, body: jsonBody(InferenceRequest) },
  responses: {
    200: jsonResponse(InferenceResultSchema, 'The model output'),
    ...authErrors,
    ...notFoundError,
    ...tooLargeError,
    ...rateLimitedError,
    502: errorResponse('The model failed (model_error)'),
    503: errorResponse(
      'Nothing is deployed for the specialization, inference is at capacity, or a dependency is down (Retry-After)',
    ),
  },
});

export function createInferenceRoutes(inference: InferenceService) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(inferRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const requestId = c.req.valid('header')['x-request-id'] ?? randomUUID();
    c.header('x-request-id', requestId);
    const { input } = c.req.valid('json');
    const result = await inference.infer(specialization, input, requestId);
    // Numbers about the request, never its text.
    const { usage } = result;
    annotateSpan({
      'ai.model': `${result.modelName}@${result.version}`,
      'model.id': result.modelId,
      'ai.tokens': usage.inputTokens + usage.outputTokens,
      'ai.cost': usage.costDollars,
      'neuroweaver.track': result.track,
    });
    return c.json(result, 200);
  });
  return app;
}
