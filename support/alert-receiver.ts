import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAlert {
  at: number;
  /** What the receiver answered: 200, or 503 / 400 in the modes that emulate an outage or a refusal. */
  status: number;
  idempotencyKey: string | undefined;
  body: {
    status: string;
    groupKey: string;
    alerts: {
      status: string;
      fingerprint: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }[];
  };
}

/**
 * A stand-in for the operators' alert receiver (Alertmanager's webhook format): records every POST;
 * `setMode('down')` answers 503 (an outage: retried), `setMode('reject')` 400 (refused for good).
 */
export async function startAlertReceiver() {
  const received: ReceivedAlert[] = [];
  let mode: 'ok' | 'down' | 'reject' = 'ok';
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const status = mode === 'down' ? 503 : mode === 'reject' ? 400 : 200;
      received.push({
        at: Date.now(),
        status,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        body: JSON.parse(raw) as ReceivedAlert['body'],
      });
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status === 200 ? '{"ok":true}' : '{"error":"receiver in test mode"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    setMode: (next: typeof mode) => {
      mode = next;
    },
    /** One entry per distinct accepted delivery (retries of one change share an Idempotency-Key). */
    distinct: () => [...new Map(received.filter((r) => r.status === 200).map((r) => [r.idempotencyKey, r])).values()],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
