type Route = { method: string; path: string };

const isTemplated = (path: string) => /:|\*/.test(path);

/** The paths a route template answers (`:id` one segment, `*` anything), as a regular expression. */
function templatePattern(path: string): RegExp {
  return new RegExp(
    `^${path
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:[^/]+/g, '[^/]+')
      .replace(/\*/g, '.*')}$`,
  );
}

/**
 * The methods an app answers for a path, from its registered routes (middleware, registered for
 * every method, does not count): what a 405's Allow header lists for a path that exists with
 * another method. As in OpenAPI path matching, concrete segments win: `/models/register` is that
 * route's, not `/models/{id}`'s.
 */
export function allowedMethods(routes: readonly Route[]): (path: string) => string[] {
  const patterns = routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({
      method: r.method,
      templated: (r.path.match(/:[^/]+|\*/g) ?? []).length,
      pattern: templatePattern(r.path),
    }));
  return (path) => {
    const matching = patterns.filter((p) => p.pattern.test(path));
    const mostSpecific = Math.min(...matching.map((p) => p.templated));
    const methods = new Set(matching.filter((p) => p.templated === mostSpecific).map((p) => p.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/**
 * The methods of each concrete route path (no parameters). A request for such a path with another
 * method is a 405 even when a templated route would take it (`GET /models/register` must not reach
 * `GET /models/{id}` as id "register"): one map lookup per request.
 */
export function concreteMethods(routes: readonly Route[]): Map<string, Set<string>> {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.method === 'ALL' || isTemplated(r.path)) continue;
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method);
    if (r.method === 'GET') methods.add('HEAD');
    byPath.set(r.path, methods);
  }
  return byPath;
}

/**
 * The concrete paths a route template also matches (`/models/register` under `/models/{id}`): the
 * only ones where a request with a method the path lacks could be taken by the template, so the
 * only ones that need the 405 check before routing. Every other path is left to the router alone.
 */
export function shadowedPaths(routes: readonly Route[]): string[] {
  const templates = routes.filter((r) => r.method !== 'ALL' && isTemplated(r.path)).map((r) => templatePattern(r.path));
  const concrete = new Set(routes.filter((r) => r.method !== 'ALL' && !isTemplated(r.path)).map((r) => r.path));
  return [...concrete].filter((path) => templates.some((pattern) => pattern.test(path))).sort();
}
