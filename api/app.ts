import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createAutomatrixVerifier } from './auth/automatrix';
import { createConsoleRoutes } from './console';
import { RevocationList } from '../db/revocations';
import { authenticate } from './auth/middleware';
import type { ApiDeps, AppEnv } from './deps';
import { ApiError, createErrorHandler, errorBody } from './errors';
import { createHealthChecks } from './health';
import { InferenceService } from './inference/service';
import type { Context, MiddlewareHandler } from 'hono';
import { allowedMethods, concreteMethods, shadowedPaths } from './allowed-methods';
import { createApiMetrics } from './metrics';
import { observeRequests } from './observe';
import { RouteRecordingRouter } from './route-router';
import { registerPlatformMetrics } from './platform-metrics';
import { rateLimits } from './rate-limits';
import { RequestStats } from './request-stats';
import { createAlertRoutes } from './routes/alerts';
import { createArtifactRoutes } from './routes/artifacts';
import { createManifestRoutes } from './routes/manifests';
import { UPLOAD_PATH } from './artifact-uploads';
import { openArtifacts } from '../storage';
import { createAuthRoutes } from './routes/auth';
import { createFaultRoutes } from './routes/faults';
import { createHealthRoutes } from './routes/health';
import { createInferenceRoutes } from './routes/inference';
import { createMetricsRoutes } from './routes/metrics';
import { createDeploymentRoutes } from './routes/deployments';
import { createModelRoutes } from './routes/models';
import { createLineageRoutes } from './routes/lineage';
import { createPerformanceRoutes } from './routes/performance';
import { createRoutingRoutes } from './routes/routing';
import { createOverviewRoutes } from './routes/overview';
import { createProbeRoutes } from './routes/probes';
import { createTrainingRoutes } from './routes/training';
import { createTrainingStarts } from './services/training-starts';
import { createWatchdogRoutes } from './routes/watchdogs';
import { validationHook } from './validation';

/**
 * The whole HTTP API as a Hono app; main.ts serves it through `serveApi` (server.ts, which adds
 * the security headers to every response), tests call `app.request()` on it.
 * `close()` stops the training jobs' start dispatcher, the registry pages' change notices and
 * what inference started (routing poll, threads), and writes inference's last metrics.
 * `instrument: false` leaves out the request span and the HTTP metrics: only `npm run bench` uses
 * it, to measure what observability costs side by side.
 */
export function createApp(deps: ApiDeps, { instrument = true }: { instrument?: boolean } = {}) {
  const { config, logger } = deps;
  const metrics = createApiMetrics();
  registerPlatformMetrics(metrics.registry, deps.stores.platform);
  const stats = new RequestStats();
  const revocations = new RevocationList(deps.sequelize, {
    onError: (err) => logger.warn({ err: err.message }, 'auth: refreshing the revocation list failed'),
  });
  const revocationsLoaded = revocations.start();
  // Registry pages are answered from memory while the database's change notices are heard.
  void deps.stores.models.pages.start({
    onError: (err) =>
      logger.warn({ err: err.message }, 'registry: change notices not heard; pages read from the database'),
  });
  const artifacts = openArtifacts(config);
  const inference = new InferenceService({
    config,
    logger,
    serving: deps.stores.serving,
    registry: metrics.registry,
    artifacts: artifacts.cache,
  });
  const trainingStarts = createTrainingStarts({
    temporal: deps.temporal,
    trainingJobs: deps.stores.trainingJobs,
    logger,
  });
  const router = new RouteRecordingRouter();
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router });

  app.onError(createErrorHandler(logger));
  // A path that exists with other methods is a 405 with Allow (RFC 9110), not a 404; the route
  // table is read once, on the first request, when every route is registered.
  let allowed: ((path: string) => string[]) | undefined;
  let concrete: Map<string, Set<string>> | undefined;
  const methodNotAllowed = (c: Context, methods: string[]) =>
    c.json(
      errorBody(
        'method_not_allowed',
        `${c.req.method} is not allowed on ${c.req.path}; allowed: ${methods.join(', ')}`,
      ),
      405,
      { Allow: methods.join(', ') },
    );
  app.notFound((c) => {
    allowed ??= allowedMethods(app.routes);
    const methods = allowed(c.req.path);
    if (methods.length > 0) return methodNotAllowed(c, methods);
    return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
  });

  // Every route first, in an app of their own, so the middleware below can be registered for just
  // the requests that need it: a request no middleware matches is answered by its handler alone,
  // in the same tick (Hono and the Node adapter skip their promise chain for it).
  const routes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  routes.route(
    '/',
    createHealthRoutes({
      checks: createHealthChecks({
        database: deps.stores.platform,
        temporal: deps.temporal,
        relaycoreUrl: config.relaycoreUrl,
        modelStoragePath: config.modelStoragePath,
        artifacts: artifacts.store,
      }),
      stats,
      startedAt: Date.now(),
    }),
  );
  routes.route('/', createMetricsRoutes({ registry: metrics.registry, metricsToken: config.metricsToken }));

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const tooLarge = () => new ApiError(413, 'payload_too_large', `request body exceeds ${config.bodyLimitBytes} bytes`);
  const limitBody = bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  // Asking a request for its body stream makes the Node adapter build a full web Request (an
  // AbortController, a ReadableStream over the socket) per call: that halved /health's throughput
  // and kept JSON bodies off the adapter's direct read. So: nothing for a GET (and no check at all
  // outside /api/v1, where no route takes a body); a declared length judged from the header (as
  // bodyLimit would); the stream only for a chunked body.
  // A model upload streams its body to the artifact store under its own limit (NW_MAX_ARTIFACT_BYTES).
  api.use('*', (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (c.req.method === 'PUT' && UPLOAD_PATH.test(c.req.path)) return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return limitBody(c, next);
    if (Number(length) > config.bodyLimitBytes) throw tooLarge();
    return next();
  });

  api.use(
    '*',
    authenticate({
      secret: deps.jwtSecret,
      maxLifetimeSeconds: config.jwtMaxLifetimeSeconds,
      party: config.jwtParty,
      // Waits for the first load only; after that a resolved promise and a Set lookup.
      isRevoked: async (sub, iat) => {
        await revocationsLoaded;
        return revocations.isRevoked(sub, iat);
      },
      verifyWithAutomatrix: config.automatrixAuthUrl ? createAutomatrixVerifier(config.automatrixAuthUrl) : undefined,
      onFailure: (status, reason, method, path) => {
        metrics.authFailures.inc({ status_code: String(status) });
        // The security log: who was refused and why, never the token itself.
        logger.warn({ status, reason, method, path }, 'auth: request refused');
      },
    }),
  );
  // Each route's policy names the limit it counts against (auth/route-policy.ts).
  const limits = rateLimits(config.rateLimits, deps.stores.rateLimits, logger);
  api.use('*', async (c, next) => {
    c.set('rateLimits', limits);
    await next();
  });
  api.route('/', createModelRoutes(deps));
  api.route('/', createArtifactRoutes({ ...deps, artifacts: artifacts.store }));
  api.route('/', createManifestRoutes({ ...deps, artifacts: artifacts.store }));
  api.route('/', createLineageRoutes(deps));
  api.route('/', createTrainingRoutes({ ...deps, starts: trainingStarts }));
  api.route('/', createDeploymentRoutes(deps));
  api.route('/', createAuthRoutes(revocations));
  api.route('/', createInferenceRoutes(inference));
  api.route('/', createProbeRoutes(inference));
  api.route('/', createWatchdogRoutes(deps));
  api.route('/', createAlertRoutes(deps));
  api.route('/', createPerformanceRoutes(deps));
  api.route('/', createRoutingRoutes(deps));
  api.route('/', createOverviewRoutes(deps));
  if (config.faultsEnabled) api.route('/', createFaultRoutes({ faults: inference.faults, models: deps.stores.models }));
  routes.route('/api/v1', api);
  // The console at `/` and the docs at `/docs`, from our own bundle: same origin, same token, no CDN.
  routes.route('/', createConsoleRoutes());

  // The 405 check, only where a route template would otherwise take the request (see shadowedPaths).
  const checkMethod: MiddlewareHandler<AppEnv> = (c, next) => {
    concrete ??= concreteMethods(app.routes);
    const methods = concrete.get(c.req.path);
    if (methods && !methods.has(c.req.method)) return Promise.resolve(methodNotAllowed(c, [...methods].sort()));
    return next();
  };
  for (const path of shadowedPaths(routes.routes)) app.use(path, checkMethod);

  app.route('/', routes);
  if (instrument) {
    // Tests' app.request() goes through app.fetch too: they see what a served request sees.
    app.fetch = observeRequests(app.fetch, {
      metrics: metrics.http,
      stats,
      lastRoute: () => router.lastRoute,
    }) as typeof app.fetch;
  }

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'NeuroWeaver API',
      version: (require('../package.json') as { version: string }).version,
      description:
        'Model registry, training, deployments, inference and watchdogs. Every workflow is visible in the Temporal Web UI.',
    },
  });
  return {
    app,
    metrics,
    stats,
    inference,
    /** `deadline` (epoch ms): how long the last metrics may be retried while the database does not take them. */
    close: async (deadline?: number) => {
      await revocations.stop();
      await deps.stores.models.pages.stop();
      await trainingStarts.close(deadline);
      await inference.close(deadline);
    },
  };
}
