import http from 'node:http';
import { getOk } from './http-get';
import { load } from './stats';

/**
 * A closed-loop load generator in a process of its own: `total` POSTs of a JSON body to one URL,
 * `concurrency` at a time (each caller sends its next request when its last one is answered), as
 * many callers of the API would. `{i}` in the body becomes the request's number. One JSON line on
 * stdout: answer p50 and p99, answers a second, failures (not 2xx), and how many 2xx answers said
 * `false` in the field named `countFalse`. Its own process, so neither the server's event loop nor
 * the bench's (which runs a worker) is counted as the other's latency.
 *
 * With `warmUrl`, each caller's connection is opened (a GET of it) before the clock starts, as a
 * client's keep-alive pool holds them. Without, the `concurrency` connections are opened in the
 * burst's first instant; a busy Node server accepts one new connection per turn of its event loop
 * (libuv since 1.45, libuv/libuv#3696), so the last of 64 waits dozens of turns before its request
 * is read at all: a measure of the accept queue, not of the route.
 */
interface ClosedLoopArgs {
  url: string;
  headers: Record<string, string>;
  body: string;
  total: number;
  concurrency: number;
  countFalse?: string;
  warmUrl?: string;
}

async function main(): Promise<void> {
  const { url, headers, body, total, concurrency, countFalse, warmUrl } = JSON.parse(process.argv[2]) as ClosedLoopArgs;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  // All in flight at once, so each takes a socket of its own, which then waits in the agent's pool.
  if (warmUrl) await Promise.all(Array.from({ length: concurrency }, () => getOk(warmUrl, agent)));
  let failed = 0;
  let falseCount = 0;
  const errors: string[] = [];
  const post = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const payload = body.replaceAll('{i}', String(i));
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
            if (!ok) {
              failed += 1;
              if (errors.length < 5) errors.push(`${res.statusCode} ${text.slice(0, 200)}`);
            } else if (countFalse && (JSON.parse(text) as Record<string, unknown>)[countFalse] === false) {
              falseCount += 1;
            }
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const result = await load(total, concurrency, post);
  console.log(JSON.stringify({ ...result, failed, falseCount, errors }));
  agent.destroy();
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
