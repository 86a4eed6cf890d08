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

  add(method: string, path: string, handler: Handler): void {
    this.trie.add(method, path, handler);
  }

  match(method: string, path: string): Result<Handler> {
    const result = this.trie.match(method, path);
    this.lastRoute = UNMATCHED_ROUTE;
    // The last handler that is not middleware (registered for ALL methods) is the route's.
    for (let i = result[0].length - 1; i >= 0; i--) {
      const route = result[0][i][0][1];
      if (route.method !== 'ALL') {
        this.lastRoute = route.path;
        break;
      }
    }
    return result;
  }
}
