import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/**
 * The headers `hono/secure-headers` sends by default, sent with every response. Added by the Node
 * response as it writes its head, not by a Hono middleware: a middleware adding headers to a
 * finished response turns the adapter's plain header object into a web `Headers` per request (that
 * alone cost /health about 40 % of its throughput, `npm run bench`). Here they also cover what Hono
 * never sees: the adapter's own 400 for a malformed request and its 500 for a crash.
 * A route's own header of the same name wins (the docs page's framing rules, say).
 */
export const SECURITY_HEADERS: ReadonlyMap<string, string> = new Map([
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
]);

const SECURITY_OBJECT: Readonly<http.OutgoingHttpHeaders> = Object.fromEntries(SECURITY_HEADERS);
const SECURITY_NAMES = new Set([...SECURITY_HEADERS.keys()].map((name) => name.toLowerCase()));

/** The security headers, then the route's own (`headers` holds few: a name check each is cheap). */
function withSecurityHeaders(headers: http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
  let overridden: Set<string> | undefined;
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (SECURITY_NAMES.has(lower)) (overridden ??= new Set()).add(lower);
  }
  if (!overridden) return { ...SECURITY_OBJECT, ...headers };
  const merged: http.OutgoingHttpHeaders = {};
  for (const [name, value] of SECURITY_HEADERS) if (!overridden.has(name.toLowerCase())) merged[name] = value;
  return Object.assign(merged, headers);
}

/**
 * Writes the security headers with every head. The adapter writes a response's head in one
 * `writeHead(status, headers)`: merged into that object, they keep Node on its fast path (a header
 * set earlier with `setHeader` sends every header of the response through `setHeader` again).
 * A head built header by header (a stream, an implicit head) gets them the same way, unless set.
 */
class SecuredResponse extends http.ServerResponse {
  override writeHead(
    statusCode: number,
    reason?: string | http.OutgoingHttpHeaders | http.OutgoingHttpHeader[],
    headers?: http.OutgoingHttpHeaders | http.OutgoingHttpHeader[],
  ): this {
    const given = typeof reason === 'string' ? headers : reason;
    if (given && !Array.isArray(given) && this.getHeaderNames().length === 0) {
      return typeof reason === 'string'
        ? super.writeHead(statusCode, reason, withSecurityHeaders(given))
        : super.writeHead(statusCode, withSecurityHeaders(given));
    }
    // Node applies `given` after these, through setHeader: the route's own still win.
    for (const [name, value] of SECURITY_HEADERS) if (!this.hasHeader(name)) this.setHeader(name, value);
    return typeof reason === 'string'
      ? super.writeHead(statusCode, reason, headers)
      : super.writeHead(statusCode, reason);
  }
}

type Fetch = (request: Request) => Response | Promise<Response>;

/**
 * The API on a port as users get it: `npm start`, the bench and the tests that go over HTTP all
 * serve through here, so they all send the same headers. Like `serve`, it listens at once and
 * calls `onListening` with the port.
 */
export function serveApi(
  fetch: Fetch,
  { port, hostname }: { port: number; hostname: string },
  onListening?: (port: number) => void,
): http.Server {
  return serve(
    {
      fetch,
      port,
      hostname,
      serverOptions: { ServerResponse: SecuredResponse as typeof http.ServerResponse },
    },
    onListening && ((info) => onListening(info.port)),
  ) as http.Server;
}

/** The port a server listens on, once it does (0 asks the system for one). */
export async function listeningPort(server: http.Server): Promise<number> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  }
  return (server.address() as AddressInfo).port;
}
