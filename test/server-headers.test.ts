import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { listeningPort, SECURITY_HEADERS, serveApi } from '../api/server';

/**
 * The security headers ride on the head the Node response writes (api/server.ts): every kind of
 * answer gets each of them exactly once, and a route's own header of the same name wins.
 */
describe('security headers on the served API', () => {
  const app = new Hono()
    .get('/json', (c) => c.json({ ok: true }))
    .get('/framed', (c) => c.text('mine', 200, { 'x-frame-options': 'DENY', 'Referrer-Policy': 'origin' }))
    .get('/stream', (c) =>
      stream(c, async (s) => {
        await s.write('a');
        await s.write('b');
      }),
    )
    .get('/empty', (c) => c.body(null, 204))
    .get('/cookies', (c) => {
      c.header('Set-Cookie', 'a=1', { append: true });
      c.header('Set-Cookie', 'b=2', { append: true });
      return c.text('two');
    })
    .get('/crash', () => {
      throw new Error('boom');
    })
    .onError((_err, c) => c.text('failed', 500));
  const server = serveApi(app.fetch, { port: 0, hostname: '127.0.0.1' });
  let base = '';
  beforeAll(async () => {
    base = `http://127.0.0.1:${await listeningPort(server)}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it.each(['/json', '/stream', '/empty', '/cookies', '/crash', '/missing'])(
    'sends every one, once, on %s',
    async (path) => {
      const res = await fetch(base + path);
      await res.arrayBuffer();
      for (const [name, value] of SECURITY_HEADERS) expect([name, res.headers.get(name)]).toEqual([name, value]);
    },
  );

  it('keeps a header a route sends twice', async () => {
    const res = await fetch(`${base}/cookies`);
    expect(await res.text()).toBe('two');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('lets a route send its own value of one of them, whatever its case', async () => {
    const res = await fetch(`${base}/framed`);
    expect(await res.text()).toBe('mine');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
