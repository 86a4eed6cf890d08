/**
 * The methods an app answers for a path, from its registered routes (middleware, registered for
 * every method, does not count): what a 405's Allow header lists for a path that exists with
 * another method. As in OpenAPI path matching, concrete segments win: `/models/register` is that
 * route's, not `/models/{id}`'s.
 */
export function allowedMethods(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  const patterns = routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({
      method: r.method,
      templated: (r.path.match(/:[^/]+|\*/g) ?? []).length,
      pattern: new RegExp(
        `^${r.path
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/:[^/]+/g, '[^/]+')
          .replace(/\*/g, '.*')}$`,
      ),
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
export function concreteMethods(routes: readonly { method: string; path: string }[]): Map<string, Set<string>> {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.method === 'ALL' || /:|\*/.test(r.path)) continue;
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method);
    if (r.method === 'GET') methods.add('HEAD');
    byPath.set(r.path, methods);
  }
  return byPath;
}
