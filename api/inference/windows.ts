/** What a deployment served in the last `windowSeconds` (in this API process). */
export interface ServingWindowStats {
  deploymentId: string;
  windowSeconds: number;
  requests: number;
  errors: number;
  /** errors / requests; 0 without requests. */
  errorRate: number;
  /** Latency percentiles over every request (failed ones too), interpolated like PostgreSQL's percentile_cont; null without requests. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  p99LatencyMs: number | null;
  meanLatencyMs: number | null;
}

interface Sample {
  at: number;
  latencyMs: number;
  ok: boolean;
}

/** percentile_cont(q) over ascending `sorted`. */
function percentile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Every request of the last `horizonSeconds`, per deployment, in arrival order; at most
 * `maxSamples` per deployment (the oldest go first). Cheap to record, exact to query.
 */
export class RollingWindows {
  private readonly samples = new Map<string, Sample[]>();

  constructor(
    private readonly horizonSeconds = 3_600,
    private readonly maxSamples = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(deploymentId: string, latencyMs: number, ok: boolean): void {
    let list = this.samples.get(deploymentId);
    if (!list) this.samples.set(deploymentId, (list = []));
    list.push({ at: this.now(), latencyMs, ok });
    if (list.length > this.maxSamples) list.splice(0, list.length - this.maxSamples);
    // Amortised: trim only when the oldest sample has aged out by a tenth of the horizon.
    if (list[0].at < this.now() - this.horizonSeconds * 1_100) this.trim(deploymentId, list);
  }

  getWindowStats(deploymentId: string, windowSeconds: number): ServingWindowStats {
    const seconds = Math.min(windowSeconds, this.horizonSeconds);
    const list = this.samples.get(deploymentId) ?? [];
    const since = this.now() - seconds * 1_000;
    const recent = list.slice(this.firstAtOrAfter(list, since));
    const latencies = recent.map((s) => s.latencyMs).sort((a, b) => a - b);
    const errors = recent.filter((s) => !s.ok).length;
    const n = recent.length;
    return {
      deploymentId,
      windowSeconds: seconds,
      requests: n,
      errors,
      errorRate: n ? errors / n : 0,
      p50LatencyMs: n ? percentile(latencies, 0.5) : null,
      p95LatencyMs: n ? percentile(latencies, 0.95) : null,
      p99LatencyMs: n ? percentile(latencies, 0.99) : null,
      meanLatencyMs: n ? latencies.reduce((a, b) => a + b, 0) / n : null,
    };
  }

  /** Forgets deployments that served nothing within the horizon. */
  prune(): void {
    for (const [id, list] of this.samples) this.trim(id, list);
  }

  private trim(deploymentId: string, list: Sample[]): void {
    list.splice(0, this.firstAtOrAfter(list, this.now() - this.horizonSeconds * 1_000));
    if (list.length === 0) this.samples.delete(deploymentId);
  }

  private firstAtOrAfter(list: Sample[], at: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].at < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
