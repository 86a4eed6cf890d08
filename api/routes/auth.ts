import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { policy } from '../auth/route-policy';
import type { RevocationList } from '../../db/revocations';
import { levelAtLeast } from '../../auth/token';
import type { AppEnv } from '../deps';
import { ApiError } from '../errors';
import { authErrors, jsonBody, jsonResponse } from '../schemas/common';

const RevokeRequest = z
  .strictObject({
    sub: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .openapi({ description: "Whose token; admins only. Defaults to the caller's own." }),
    iat: z
      .number()
      .int()
      .positive()
      .optional()
      .openapi({ description: "The token's iat; defaults to the calling token's." }),
    reason: z.string().max(1_000).optional(),
    every: z.boolean().optional().openapi({
      description:
        "Revoke every token of `sub` issued up to now (a leaked credential, someone who left); `iat` is then ignored. Admin for another subject's tokens.",
    }),
  })
  .openapi('RevokeRequest');

const Revoked = z
  .object({
    sub: z.string(),
    iat: z.number().int().openapi({
      description: "The revoked token's iat; with `every`, the cut-off: every token issued at or before it",
    }),
    every: z.boolean(),
    revokedAt: z.string(),
  })
  .openapi('RevokedToken');

const revokeRoute = createRoute({
  method: 'post',
  path: '/auth/revoke',
  operationId: 'revokeToken',
  ...policy({ access: 'read', scope: 'none' }),
  tags: ['auth'],
  summary: 'Revoke a token by (sub, iat), or every token of a subject',
  description:
    "Without a body, revokes the calling token. `every: true` revokes every token of `sub` issued up to now. Revoking another subject's tokens needs admin.",
  security: [{ bearerAuth: [] }],
  request: { body: { ...jsonBody(RevokeRequest), required: false } },
  responses: { 200: jsonResponse(Revoked, 'Revoked (idempotent)'), ...authErrors },
});

export function createAuthRoutes(revocations: RevocationList) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(revokeRoute, async (c) => {
    const principal = c.get('principal');
    const body = c.req.valid('json') ?? {};
    const sub = body.sub ?? principal.sub;
    if (body.every) {
      if (sub !== principal.sub && !levelAtLeast(principal.level, 'admin'))
        throw new ApiError(403, 'forbidden', "revoking another subject's tokens needs admin access");
      // A leaked read token revokes itself, never its owner's other (stronger) tokens.
      if (!levelAtLeast(principal.level, 'write'))
        throw new ApiError(403, 'forbidden', 'revoking every token of a subject needs write access');
      const { revokedAt, issuedUpTo } = await revocations.revokeEvery({
        sub,
        revokedBy: principal.sub,
        reason: body.reason ?? null,
      });
      return c.json({ sub, iat: issuedUpTo, every: true, revokedAt: revokedAt.toISOString() }, 200);
    }
    const iat = body.iat ?? (sub === principal.sub ? principal.iat : undefined);
    if (iat === undefined)
      throw new ApiError(400, 'validation_error', 'iat is required when revoking another subject', {
        fields: [{ field: 'iat', message: 'required' }],
      });
    if ((sub !== principal.sub || iat !== principal.iat) && !levelAtLeast(principal.level, 'admin')) {
      throw new ApiError(403, 'forbidden', 'revoking another token needs admin access');
    }
    const { revokedAt } = await revocations.revoke({ sub, iat, revokedBy: principal.sub, reason: body.reason ?? null });
    return c.json({ sub, iat, every: false, revokedAt: revokedAt.toISOString() }, 200);
  });
  return app;
}
