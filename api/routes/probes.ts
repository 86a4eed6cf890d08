import { policy } from '../auth/route-policy';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { PROBER_ROLE } from '../../auth/token';
import type { AppEnv } from '../deps';
import type { InferenceService } from '../inference/service';
import { authErrors, jsonBody, jsonResponse, notFoundError } from '../schemas/common';
import { ProbeRequest, ProbeResultSchema } from '../schemas/performance';

const probeRoute = createRoute({
  method: 'post',
  path: '/admin/probes',
  operationId: 'runProbes',
  ...policy({ access: 'admin', role: PROBER_ROLE, scope: 'every' }),
  tags: ['admin'],
  summary: "Run labelled probe examples through a deployment's model as serving runs it (the watchdog's probes)",
  description:
    'Needs admin, or a token with the `prober` role (what the worker uses: read access plus this route). Works for routed and unrouted deployments (a model not routed is loaded for probing and released after a minute without probes). Each probe is recorded with track "probe".',
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(ProbeRequest) },
  responses: { 200: jsonResponse(ProbeResultSchema, 'What the probes measured'), ...authErrors, ...notFoundError },
});

export function createProbeRoutes(inference: InferenceService) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(probeRoute, async (c) => {
    const { deploymentId, examples } = c.req.valid('json');
    return c.json(await inference.probe(deploymentId, examples), 200);
  });
  return app;
}
