import { getPath } from 'hono/utils/url';
import type { HttpMetrics } from './http-metrics';
import type { RequestStats } from './request-stats';
import { UNMATCHED_ROUTE } from './route-router';
import { startRequestSpan, type RequestSpan } from './tracing';

type Fetch = (request: Request, env?: unknown, executionCtx?: never) => Response | Promise<Response>;

/**
 * The app's `fetch`, observed: every request counted, timed and (outside the untraced paths) given
 * a server span. Around `fetch` rather than a Hono middleware, so a request no middleware needs is
 * still answered in the same tick (a middleware puts every request on Hono's promise chain, and the
 * Node adapter on its slower path for promised responses). `lastRoute` is the route the request
 * matched, read right after `fetch` returns (route-router.ts).
 */
export function observeRequests(
  fetch: Fetch,
  { metrics, stats, lastRoute }: { metrics: HttpMetrics; stats: RequestStats; lastRoute: () => string },
): Fetch {
  // Made once, not per request: tsx (esbuild's keepNames) names every function it assigns, with an
  // Object.defineProperty on it, and a closure made per request paid that on every request.
  function finish(request: Request, route: string, status: number, start: number, span?: RequestSpan) {
    const seconds = (performance.now() - start) / 1000;
    metrics.answered(request.method, route, status, seconds);
    stats.record(seconds * 1000, status >= 500);
    span?.end(route, status);
  }
  return (request, env, executionCtx) => {
    const start = performance.now();
    const span = startRequestSpan(request, getPath(request));
    metrics.started();
    let route = UNMATCHED_ROUTE;
    let answered: Response | Promise<Response>;
    try {
      answered = span ? span.run(() => fetch(request, env, executionCtx)) : fetch(request, env, executionCtx);
      route = lastRoute();
    } catch (err) {
      finish(request, route, 500, start, span);
      throw err;
    }
    if (!(answered instanceof Promise)) {
      finish(request, route, answered.status, start, span);
      return answered;
    }
    return answered.then(
      (response) => {
        finish(request, route, response.status, start, span);
        return response;
      },
      (err: unknown) => {
        // Hono answers a handler's error itself; this is a failure of the app around it.
        finish(request, route, 500, start, span);
        throw err;
      },
    );
  };
}
