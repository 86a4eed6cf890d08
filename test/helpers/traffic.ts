import fs from 'node:fs';
import path from 'node:path';
import { REPO_DATASETS } from './training';

export interface TrafficReport {
  total: number;
  byStatus: Record<number, number>;
  byDeployment: Record<string, number>;
  /** Failed requests (non-2xx) by the track that served them (from the error details, when known). */
  failures: { status: number; track: string | null }[];
}

const texts = fs
  .readFileSync(path.join(REPO_DATASETS, 'automotive-queries', 'holdout.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { text: string }).text);

/**
 * Steady inference traffic through the real API (`concurrency` requests in flight) until stop().
 * Bounded: it stops by itself after `maxRequests` or `maxDurationMs`, whichever comes first (an
 * injected fault answers in well under a millisecond, so a count alone runs out mid-test).
 */
export function startTraffic(
  t: { app: { request: (route: string, init: RequestInit) => Response | Promise<Response> } },
  specialization: string,
  headers: Record<string, string>,
  { concurrency = 2, maxRequests = 500_000, maxDurationMs = 600_000, pauseMs = 10 } = {},
) {
  const report: TrafficReport = { total: 0, byStatus: {}, byDeployment: {}, failures: [] };
  let stopped = false;
  const deadline = Date.now() + maxDurationMs;
  const loop = async (lane: number) => {
    for (let i = lane; !stopped && report.total < maxRequests && Date.now() < deadline; i += concurrency) {
      const res = await t.app.request(`/api/v1/inference/${specialization}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ input: texts[i % texts.length] }),
      });
      const body = (await res.json()) as {
        deploymentId?: string;
        track?: string;
        error?: { details?: { track?: string } };
      };
      report.total += 1;
      report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
      if (res.ok && body.deploymentId)
        report.byDeployment[body.deploymentId] = (report.byDeployment[body.deploymentId] ?? 0) + 1;
      if (!res.ok) report.failures.push({ status: res.status, track: body.error?.details?.track ?? null });
      // app.request() is in-process: an answer that needs no I/O (an injected fault, auth from memory)
      // costs only CPU, and an unpaced loop of them would take the whole event loop from the worker
      // this test runs beside it. Paced like clients that send steadily: at most ~100 a second per
      // lane — hundreds per window, while the rest of the machine (the worker, the dev server, the
      // other test file) keeps its CPU: at 2 ms apart a loaded machine slowed the backup's probes
      // past their timeout and the watchdog test waited out a 60 s cooldown.
      await new Promise((r) => setTimeout(r, res.status === 503 ? 50 : pauseMs));
    }
  };
  const lanes = Array.from({ length: concurrency }, (_, lane) => loop(lane));
  return {
    report,
    stop: async () => {
      stopped = true;
      await Promise.all(lanes);
      return report;
    },
  };
}
