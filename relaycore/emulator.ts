import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small stand-in for RelayCore (the external AI router) for local runs and tests only: it
 * implements the contract NeuroWeaver calls (ARCHITECTURE.md, "RelayCore contract"), records every
 * call, and can inject faults. It is not RelayCore and holds no routing logic.
 *
 * Contract routes: POST /api/services/register (201), POST /api/models/{id}/deployed (200),
 * PUT /api/models/{id}/performance (200), PUT /api/routes/{specialization} {modelId, reason} (200),
 * GET /health (200, not recorded). Local alert sink: POST /webhooks/alerts (see ALERT_SINK_PATH). Control, never faulted: GET /__emulator/calls,
 * POST /__emulator/mode {mode}, POST /__emulator/reset.
 *
 * Idempotency: the first call with a given Idempotency-Key that is accepted (2xx) is remembered;
 * later calls with that key are recorded with `duplicate: true` and get the first answer again.
 * Calls answered with a fault (503, 400 in `reject`, hang, down) do not consume their key, so the
 * retry after an outage is the delivery.
 */

/**
 * Not RelayCore's: where local runs (`npm start`) send watchdog alerts when ALERT_WEBHOOK_URL is
 * unset, so the alert webhook can be watched without an Alertmanager. Recorded like the contract calls.
 */
export const ALERT_SINK_PATH = '/webhooks/alerts';

export type EmulatorMode = 'ok' | 'error' | 'reject' | 'hang' | 'down';
export const EMULATOR_MODES: readonly EmulatorMode[] = ['ok', 'error', 'reject', 'hang', 'down'];

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
  headers: { 'idempotency-key': string | undefined; traceparent: string | undefined };
  /** ISO time the request arrived. */
  at: string;
  /** The Idempotency-Key was already delivered: answered with the first answer, nothing changed. */
  duplicate: boolean;
  /** The mode the call was answered in (a hung call released later shows the later mode). */
  mode: EmulatorMode;
  /** Status answered; null while hanging, or when the socket was destroyed (`down`, close). */
  status: number | null;
  /** The caller went away (timeout, abort) while the call hung: never answered, never delivered. */
  abandoned: boolean;
}

export interface RelayCoreEmulator {
  url: string;
  /** Every recorded call, oldest first (the live array). */
  calls: RecordedCall[];
  mode(): EmulatorMode;
  /** Changes the mode; calls hanging in `hang` are then answered in the new mode. */
  setMode(mode: EmulatorMode): void;
  /** Forgets calls and idempotency keys, and returns to `ok`. */
  reset(): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
}

interface Pending {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  call: RecordedCall | undefined;
  parsed: Parsed;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

const MAX_BODY_BYTES = 1_048_576;

export async function startRelayCoreEmulator({
  port = 0,
  host = '127.0.0.1',
}: { port?: number; host?: string } = {}): Promise<RelayCoreEmulator> {
  let mode: EmulatorMode = 'ok';
  const calls: RecordedCall[] = [];
  const delivered = new Map<string, Answer>();
  const hanging = new Set<Pending>();
  const sockets = new Set<Socket>();

  const send = (res: http.ServerResponse, { status, body }: Answer, call?: RecordedCall) => {
    if (call) call.status = status;
    if (res.destroyed || res.writableEnded) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  /** Answers a contract call (or /health) in the current mode. */
  const answer = (pending: Pending) => {
    const { req, res, call, parsed } = pending;
    if (call) call.mode = mode;
    switch (mode) {
      case 'hang':
        // A caller that gives up (timeout, abort) takes its call with it: it stays undelivered
        // (status null, key not consumed), so the caller's retry is the delivery.
        hanging.add(pending);
        res.once('close', () => {
          if (hanging.delete(pending) && call) call.abandoned = true;
        });
        return;
      case 'down':
        req.socket.destroy();
        return;
      case 'error':
        send(
          res,
          { status: 503, body: { error: { code: 'unavailable', message: 'RelayCore emulator: injected outage' } } },
          call,
        );
        return;
      case 'reject':
        if (call) {
          send(
            res,
            { status: 400, body: { error: { code: 'rejected', message: 'RelayCore emulator: injected rejection' } } },
            call,
          );
          return;
        }
        break; // /health stays healthy in `reject`
      case 'ok':
        break;
    }
    if (!call) {
      send(res, { status: 200, body: { status: 'healthy', service: 'relaycore-emulator' } });
      return;
    }
    const key = call.headers['idempotency-key'];
    const first = key === undefined ? undefined : delivered.get(key);
    if (first) {
      call.duplicate = true;
      send(res, first, call);
      return;
    }
    const result = parsed.ok
      ? handleContract(call.method, call.path, parsed.value)
      : { status: 400, body: { error: { code: 'invalid_json', message: 'body is not JSON' } } };
    if (key !== undefined && result.status >= 200 && result.status < 300) delivered.set(key, result);
    send(res, result, call);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path.startsWith('/__emulator/')) {
      void readBody(req).then(
        (raw) => send(res, control(method, path, raw)),
        () => send(res, { status: 413, body: { error: { code: 'too_large', message: 'body too large' } } }),
      );
      return;
    }
    if (path === '/health' && method === 'GET') {
      answer({ req, res, call: undefined, parsed: { ok: true, value: undefined } });
      return;
    }
    if (!path.startsWith('/api/') && path !== ALERT_SINK_PATH) {
      send(res, { status: 404, body: { error: { code: 'not_found', message: `${method} ${path}` } } });
      return;
    }
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const call: RecordedCall = {
      method,
      path,
      body: undefined,
      headers: { 'idempotency-key': header('idempotency-key'), traceparent: header('traceparent') },
      at: new Date().toISOString(),
      duplicate: false,
      mode,
      status: null,
      abandoned: false,
    };
    calls.push(call);
    if (mode === 'down') {
      // Like a crashed server: the connection drops before anything is read or answered.
      req.socket.destroy();
      return;
    }
    void readBody(req).then(
      (raw) => {
        const parsed = parseJson(raw);
        call.body = parsed.ok ? parsed.value : raw;
        answer({ req, res, call, parsed });
      },
      () => send(res, { status: 413, body: { error: { code: 'too_large', message: 'body too large' } } }, call),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const setMode = (next: EmulatorMode) => {
    if (!EMULATOR_MODES.includes(next)) throw new Error(`unknown emulator mode ${String(next)}`);
    mode = next;
    if (mode === 'hang') return;
    const released = [...hanging];
    hanging.clear();
    for (const pending of released) if (!pending.res.destroyed) answer(pending);
  };

  const reset = () => {
    calls.length = 0;
    delivered.clear();
    setMode('ok');
  };

  function control(method: string, path: string, raw: string): Answer {
    if (method === 'GET' && path === '/__emulator/calls') return { status: 200, body: { mode, calls } };
    if (method === 'POST' && path === '/__emulator/reset') {
      reset();
      return { status: 200, body: { mode } };
    }
    if (method === 'POST' && path === '/__emulator/mode') {
      const parsed = parseJson(raw);
      const next = parsed.ok && isObject(parsed.value) ? parsed.value.mode : undefined;
      if (typeof next !== 'string' || !EMULATOR_MODES.includes(next as EmulatorMode)) {
        return {
          status: 400,
          body: { error: { code: 'validation_error', message: `mode must be one of ${EMULATOR_MODES.join(', ')}` } },
        };
      }
      setMode(next as EmulatorMode);
      return { status: 200, body: { mode } };
    }
    return { status: 404, body: { error: { code: 'not_found', message: `${method} ${path}` } } };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    calls,
    mode: () => mode,
    setMode,
    reset,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        hanging.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** The contract routes, answered in `ok` mode. Bodies are checked only as far as the contract says. */
function handleContract(method: string, path: string, body: unknown): Answer {
  const bad = (message: string): Answer => ({ status: 400, body: { error: { code: 'validation_error', message } } });
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  // ['api', 'services', 'register'] | ['api', 'models', id, 'deployed' | 'performance'] | ['api', 'routes', spec]
  if (method === 'POST' && path === '/api/services/register') {
    if (!isObject(body) || typeof body.service_id !== 'string' || typeof body.url !== 'string')
      return bad('service_id and url are required');
    return { status: 201, body: { service_id: body.service_id, registered: true } };
  }
  if (segments.length === 4 && segments[1] === 'models' && segments[2]) {
    if (method === 'POST' && segments[3] === 'deployed') {
      if (!isObject(body)) return bad('a JSON object is required');
      return { status: 200, body: { model_id: segments[2], acknowledged: true } };
    }
    if (method === 'PUT' && segments[3] === 'performance') {
      if (!isObject(body)) return bad('a JSON object of metrics is required');
      return { status: 200, body: { model_id: segments[2], updated: true } };
    }
  }
  if (method === 'POST' && path === ALERT_SINK_PATH) {
    if (!isObject(body) || !Array.isArray(body.alerts))
      return bad('an Alertmanager webhook body (alerts[]) is required');
    return { status: 200, body: { received: body.alerts.length } };
  }
  if (method === 'PUT' && segments.length === 3 && segments[1] === 'routes' && segments[2]) {
    if (!isObject(body) || typeof body.modelId !== 'string' || !body.modelId || typeof body.reason !== 'string')
      return bad('modelId and reason are required');
    return {
      status: 200,
      body: { specialization: segments[2], modelId: body.modelId, reason: body.reason, routed: true },
    };
  }
  return { status: 404, body: { error: { code: 'not_found', message: `${method} ${path}` } } };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): Parsed {
  if (raw === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
