import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/**
 * The headers `hono/secure-headers` sends by default, sent with every response. Set on the Node
 * response before Hono runs, not by a Hono middleware: a middleware adding headers to a finished
 * response turns the adapter's plain header object into a web `Headers` per request, and that
 * alone cost /health about 40 % of its throughput (`npm run bench`). Here they also cover what
 * Hono never sees: the adapter's own 400 for a malformed request and its 500 for a crash.
 * A route's own header of the same name wins (the console's Cache-Control, say).
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
        http.createServer(options, (req, res) => {
          res.setHeaders(SECURITY_HEADERS as Map<string, string>);
          listener(req, res);
        })) as typeof http.createServer,
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
