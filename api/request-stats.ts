/**
 * Rolling per-second buckets over the last minute: what /health/detailed reports as
 * requestsPerMinute, errorRate and avgResponseTime without scraping Prometheus.
 */
export class RequestStats {
  private readonly buckets = new Map<number, { count: number; errors: number; totalMs: number }>();

  constructor(
    private readonly windowSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {}

  record(durationMs: number, isError: boolean): void {
    const second = Math.floor(this.now() / 1000);
    const bucket = this.buckets.get(second) ?? { count: 0, errors: 0, totalMs: 0 };
    bucket.count += 1;
    bucket.errors += isError ? 1 : 0;
    bucket.totalMs += durationMs;
    this.buckets.set(second, bucket);
    if (this.buckets.size > this.windowSeconds * 2) this.prune(second);
  }

  snapshot(): { requestsPerMinute: number; errorRate: number; avgResponseTime: number } {
    const second = Math.floor(this.now() / 1000);
    this.prune(second);
    let count = 0;
    let errors = 0;
    let totalMs = 0;
    for (const b of this.buckets.values()) {
      count += b.count;
      errors += b.errors;
      totalMs += b.totalMs;
    }
    const perMinute = (count * 60) / this.windowSeconds;
    return {
      requestsPerMinute: Math.round(perMinute * 100) / 100,
      errorRate: count ? errors / count : 0,
      avgResponseTime: count ? Math.round((totalMs / count) * 100) / 100 : 0,
    };
  }

  private prune(second: number): void {
    for (const key of this.buckets.keys()) if (key <= second - this.windowSeconds) this.buckets.delete(key);
  }
}
