import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';
import type { H, RouterRoute } from 'hono/types';

/** The label of a request no route answered (a 404 or 405). */
export const UNMATCHED_ROUTE = 'unmatched';

type Handler = [H, RouterRoute];

/**
 * Hono's router, remembering the route template of its last match (`/api/v1/models/:id`, never the
 * raw path). Hono matches synchronously as `fetch` is called, before any handler runs, so right
 * after `fetch` returns (a response, or a promise of one) `lastRoute` names that very request's
 * route: the metrics and the request span read it there, without a second match or a middleware.
 * A trie: Hono's faster RegExpRouter cannot hold `/models/register` beside `/models/:id/validate`.
 */
export class RouteRecordingRouter implements Router<Handler> {
  readonly name = 'RouteRecordingRouter';
  private readonly trie = new TrieRouter<Handler>();
  lastRoute = UNMATCHED_ROUTE;
  /** Routes' paths without parameters or wildcards (`/health`, `/api/v1/models`). */
  private readonly staticPaths = new Set<string>();
  /**
   * The matches of those paths, by method then path, as the trie gave them: a match depends on
   * nothing but the two (Hono's RegExpRouter keeps its static matches the same way), and bounded
   * by the route table. Probes and scrapes hit the same few paths all day.
   */
  private readonly staticMatches = new Map<string, Map<string, { result: Result<Handler>; route: string }>>();

  add(method: string, path: string, handler: Handler): void {
    this.trie.add(method, path, handler);
    if (!/[:*]/.test(path)) this.staticPaths.add(path);
    this.staticMatches.clear();
  }

  match(method: string, path: string): Result<Handler> {
    const isStatic = this.staticPaths.has(path);
    const known = isStatic ? this.staticMatches.get(method)?.get(path) : undefined;
    if (known) {
      this.lastRoute = known.route;
      return known.result;
    }
    const result = this.trie.match(method, path);
    this.lastRoute = routeOf(result);
    if (isStatic) {
      let byPath = this.staticMatches.get(method);
      if (!byPath) this.staticMatches.set(method, (byPath = new Map()));
      byPath.set(path, { result, route: this.lastRoute });
    }
    return result;
  }
}

/**
 * The first handler that is not middleware (registered for ALL methods) answers, and names the
 * route: where a path fits two routes of its method (`/models/register` and `/models/:id`), Hono
 * runs the one registered first, and a route's own validators come right before its handler.
 */
function routeOf(result: Result<Handler>): string {
  for (const [[, route]] of result[0]) if (route.method !== 'ALL') return route.path;
  return UNMATCHED_ROUTE;
}
