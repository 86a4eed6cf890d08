import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/**
 * The headers `hono/secure-headers` sends by default, sent with every response, the adapter's own
 * 400 for a malformed request and its 500 for a crash included. A route's own header of the same
 * name wins (the console's Cache-Control, say).
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

const SECURITY_HEADER_LIST: readonly string[] = [...SECURITY_HEADERS].flat();
const SECURITY_HEADER_NAMES = new Set([...SECURITY_HEADERS.keys()].map((name) => name.toLowerCase()));

type HeaderList = (string | number | readonly string[])[];

/**
 * Writes the security headers into the response head with the response's own, in one list. Setting
 * them on the response before Hono runs (`setHeaders`) made Node check each one again on every
 * request and put every response on its slower path for merging headers: a tenth of `/health`'s
 * CPU in a profile. A list given to `writeHead` is checked once, as it is written.
 */
class SecureResponse extends http.ServerResponse {
  override writeHead(
    statusCode: number,
    reasonOrHeaders?: string | http.OutgoingHttpHeaders | http.OutgoingHttpHeader[],
    headers?: http.OutgoingHttpHeaders | http.OutgoingHttpHeader[],
  ): this {
    const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
    const own = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
    const list = withSecurityHeaders(own, this.getHeaderNames()) as http.OutgoingHttpHeader[];
    return reason === undefined ? super.writeHead(statusCode, list) : super.writeHead(statusCode, reason, list);
  }
}

/**
 * The response's own headers after the security headers it does not set itself (`alreadySet`: the
 * lower-case names set on the response before `writeHead`), as one flat list of names and values.
 */
function withSecurityHeaders(
  own: http.OutgoingHttpHeaders | http.OutgoingHttpHeader[] | undefined,
  alreadySet: string[],
): HeaderList {
  const ownList: HeaderList = [];
  if (Array.isArray(own)) {
    // Node takes [name, value, …] or, when the first entry is a list, [[name, value], …].
    if (Array.isArray(own[0])) for (const pair of own) ownList.push(...(pair as string[]));
    else ownList.push(...own);
  } else if (own) {
    for (const name in own) if (own[name] !== undefined) ownList.push(name, own[name]);
  }
  let overridden: Set<string> | undefined;
  for (const name of alreadySet) if (SECURITY_HEADER_NAMES.has(name)) (overridden ??= new Set()).add(name);
  for (let i = 0; i < ownList.length; i += 2) {
    const name = String(ownList[i]).toLowerCase();
    if (SECURITY_HEADER_NAMES.has(name)) (overridden ??= new Set()).add(name);
  }
  if (!overridden) return SECURITY_HEADER_LIST.concat(ownList as string[]);
  const list: HeaderList = [];
  for (let i = 0; i < SECURITY_HEADER_LIST.length; i += 2) {
    if (!overridden.has(SECURITY_HEADER_LIST[i].toLowerCase()))
      list.push(SECURITY_HEADER_LIST[i], SECURITY_HEADER_LIST[i + 1]);
  }
  return list.concat(ownList);
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
      // The adapter calls it as (options, listener); the cast only drops http's other overloads.
      createServer: ((options: http.ServerOptions, listener: http.RequestListener) =>
        http.createServer({ ...options, ServerResponse: SecureResponse }, listener)) as typeof http.createServer,
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
