import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { parse as parseYaml, stringify } from 'yaml';
import type { TestApp } from './app';

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

const SHIPPED = parseYaml(
  fs.readFileSync(path.resolve(__dirname, '..', '..', 'performance_thresholds.yml'), 'utf8'),
) as { defaults: Record<string, unknown> & { thresholds: Record<string, number> } };

/**
 * The shipped thresholds file with test-speed clocks: 1 s windows, a 3 s cooldown, 3 healthy
 * verdicts to recover. Error rate, accuracy, sample minimums and confidence are the shipped ones;
 * only latency is generous, because a busy CI machine stalls requests for reasons that are not the
 * model's (the latency statistics at the shipped 250 ms are covered by the seeded simulations).
 */
export function writeThresholds(
  defaults: Record<string, unknown>,
  specializations: Record<string, unknown> = {},
): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-thresholds-')), 'performance_thresholds.yml');
  fs.writeFileSync(
    file,
    stringify({
      defaults: {
        ...SHIPPED.defaults,
        evaluationInterval: '1s',
        healthyToRecover: 3,
        cooldown: '3s',
        thresholds: { ...SHIPPED.defaults.thresholds, p95LatencyMs: 30_000 },
        ...defaults,
      },
      specializations,
    }),
  );
  return file;
}

/** Serves the test app over HTTP on its configured PORT, where the worker's probes reach it. */
export function serveApp(t: TestApp) {
  const server = serve({ fetch: t.app.fetch, port: t.config.port, hostname: '127.0.0.1' });
  return () => new Promise<void>((r) => server.close(() => r()));
}
