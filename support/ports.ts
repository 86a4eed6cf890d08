import net from 'node:net';

/**
 * Ports are drawn below Linux's ephemeral range (32768–60999 by default): an outgoing connection
 * of any process can take a port from that range between our check and the server's bind — the
 * OS's port 0 hands out exactly those — and a test stack starting several servers lost that race.
 */
const FIRST = 20_000;
const LAST = 32_767;
/** Handed out by this process: two servers asked for at once never get the same one. */
const handedOut = new Set<number>();

const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A port nothing listens on now, from a range no outgoing connection takes: for one local server. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${FIRST} and ${LAST}`);
}
