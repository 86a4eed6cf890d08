/** Median and spread of repeated measurements: what every bench figure reports. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], rounds: sorted.length };
}

export const fmt = (s: Summary, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** The value `q` (0–1) of the way up the sorted values: the percentile every latency row reports. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

export interface LoadResult {
  p50: number;
  p99: number;
  perSecond: number;
}

/**
 * `total` calls of `call`, `concurrency` at a time: latency percentiles (ms) and throughput. Each
 * call's latency is also added to `pooled` when given, for figures pooled over several loads.
 */
export async function load(
  total: number,
  concurrency: number,
  call: (i: number) => Promise<void>,
  pooled?: number[],
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  pooled?.push(...latencies);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), perSecond: total / seconds };
}

/**
 * An open loop: `rate` calls a second for `seconds`, each timed from its scheduled start, or from
 * when it was sent if that was earlier (a wait under a millisecond is not slept: timed from its
 * schedule, a fast answer would come out negative).
 */
export async function atRate(rate: number, seconds: number, call: () => Promise<void>) {
  const latencies: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const from = Math.min(due, performance.now());
    pending.push(
      call().then(
        () => void latencies.push(performance.now() - from),
        (err: Error) => {
          failed += 1;
          if (errors.length < 5) errors.push(err.message);
        },
      ),
    );
  }
  await Promise.all(pending);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), failed, errors };
}
