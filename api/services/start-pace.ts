/**
 * How long Temporal has lately taken to answer a workflow start: the median of the answers heard
 * within the last `windowMs` (at most `keep` of them), or null when none were. A request is not
 * held for its start when Temporal has lately answered slower than it would wait: the wait would
 * only run out, and the caller gets the same answer later (training-starts.ts).
 */
export function createStartPace({
  windowMs,
  keep = 32,
  now = Date.now,
}: {
  windowMs: number;
  keep?: number;
  now?: () => number;
}) {
  const recent: { at: number; ms: number }[] = [];
  return {
    record(ms: number): void {
      recent.push({ at: now(), ms });
      if (recent.length > keep) recent.shift();
    },
    typicalMs(): number | null {
      const since = now() - windowMs;
      const heard = recent
        .filter((r) => r.at >= since)
        .map((r) => r.ms)
        .sort((a, b) => a - b);
      return heard.length ? heard[Math.floor(heard.length / 2)] : null;
    },
  };
}
