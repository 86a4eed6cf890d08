/**
 * Judgement by evidence (pure: no I/O, no clock). Each metric is a proportion with a count behind
 * it: errors of requests, requests slower than the p95 threshold (p95 ≤ T exactly when at most 5 %
 * of requests take longer than T), wrong answers of labelled probes. A metric is a *breach* only
 * when a confidence bound is past its threshold, *healthy* only when the opposite bound is inside
 * it, and otherwise *inconclusive*. Small windows are pooled: the judgement looks at the newest 1,
 * 2, 3… windows of the evidence span (each with enough samples), so a hard failure shows in the
 * first window and a small shift shows once enough windows agree.
 */

// Bound once: hot loops inside a vm context (Jest) pay for every global lookup.
const { ceil, floor, log, max, min, round, sqrt } = Math;

/** What one window (or one round of probes) counted. */
export interface EvidenceCounts {
  requests: number;
  errors: number;
  /** Requests slower than the p95 threshold in force; null when only a p95 is known (old traces). */
  slow: number | null;
  p95LatencyMs: number | null;
  /** Labelled probes answered, and how many of them were right. */
  labelled: number;
  correct: number;
  costPer1kTokens: number | null;
}

export interface EvidenceThresholds {
  p95LatencyMs: number;
  errorRate: number;
  minAccuracy: number;
  maxCostPer1kTokens: number;
}

export interface EvidencePolicy {
  /** Windows pooled at most (the evidence span divided by the evaluation interval). */
  spanWindows: number;
  /** Fewest requests behind an error-rate or latency judgement; fewest labels behind an accuracy one. */
  minRequests: number;
  minLabelled: number;
  /** One-sided confidence of a breach (e.g. 0.999) and of "healthy" (e.g. 0.95). */
  breachConfidence: number;
  healthyConfidence: number;
  thresholds: EvidenceThresholds;
}

export type MetricName = 'errorRate' | 'p95' | 'accuracy' | 'cost';

export interface MetricVerdict {
  metric: MetricName;
  kind: 'breach' | 'healthy' | 'inconclusive';
  /** The point estimate on the deciding span (a share, a p95 in ms or a cost), and its sample count. */
  estimate: number | null;
  samples: number;
  /** Windows pooled for this verdict. */
  windows: number;
  /** Inconclusive, but the newest evidence points past the threshold: more evidence is worth asking for. */
  suspect: boolean;
  reason: string;
}

export interface EvidenceVerdict {
  kind: 'breach' | 'healthy' | 'inconclusive';
  reason: string;
  metrics: MetricVerdict[];
}

/** The 95th percentile of ascending latencies (linear interpolation), to the microsecond; null for none. */
export function percentile95(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * 0.95;
  const lo = floor(pos);
  const hi = ceil(pos);
  return round((sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)) * 1_000) / 1_000;
}

/** The share of a normal distribution below z: Acklam's inverse, good to 1e-9 over (0, 1). */
export function zFor(confidence: number): number {
  const p = confidence;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return lowTail(sqrt(-2 * log(p)));
  if (p > 1 - 0.02425) return -lowTail(sqrt(-2 * log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Wilson score interval of k successes in n at one-sided z: well behaved at 0, n and small n. */
export function wilson(k: number, n: number, z: number): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: max(0, centre - half), high: min(1, centre + half) };
}

interface Proportion {
  metric: MetricName;
  /** Highest acceptable bad share. */
  limit: number;
  minSamples: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The counts of one window for a metric, [bad, total] (for accuracy, bad = wrong); null when not counted. */
function countOf(metric: MetricName, w: EvidenceCounts): [number, number] | null {
  if (metric === 'errorRate') return [w.errors, w.requests];
  if (metric === 'p95') return w.slow === null ? null : [w.slow, w.requests];
  return [w.labelled - w.correct, w.labelled];
}

function describe(metric: MetricName, share: number, samples: number, policy: EvidencePolicy): string {
  if (metric === 'errorRate') return `error rate ${pct(share)} of ${samples}`;
  if (metric === 'p95') return `${pct(share)} of ${samples} requests slower than ${policy.thresholds.p95LatencyMs} ms`;
  return `accuracy ${(1 - share).toFixed(3)} of ${samples} labelled`;
}

function judgeProportion(windows: EvidenceCounts[], m: Proportion, policy: EvidencePolicy): MetricVerdict | null {
  const zBreach = zFor(policy.breachConfidence);
  const zHealthy = zFor(policy.healthyConfidence);
  let bad = 0;
  let total = 0;
  let used = 0;
  let longest: { bad: number; total: number; windows: number } | null = null;
  let suspect = false;
  let newest: { bad: number; total: number; windows: number } | null = null;
  for (let i = windows.length - 1; i >= 0 && used < policy.spanWindows; i--) {
    const c = countOf(m.metric, windows[i]);
    used++;
    if (c) {
      bad += c[0];
      total += c[1];
    }
    // The newest window alone pointing past the threshold is reason enough to ask for more evidence.
    if (used === 1 && total > 0 && bad / total > m.limit) suspect = true;
    if (total < m.minSamples) continue;
    newest ??= { bad, total, windows: used };
    const { low } = wilson(bad, total, zBreach);
    if (low > m.limit) {
      return {
        metric: m.metric,
        kind: 'breach',
        estimate: bad / total,
        samples: total,
        windows: used,
        suspect: false,
        reason: `${describe(m.metric, bad / total, total, policy)} over ${used} window${used > 1 ? 's' : ''} (${policy.breachConfidence * 100}% sure)`,
      };
    }
    if (bad / total > m.limit) suspect = true;
    longest = { bad, total, windows: used };
  }
  if (!longest) {
    // Not enough samples yet: suspicious when what little there is points past the threshold.
    if (!total) return null;
    return {
      metric: m.metric,
      kind: 'inconclusive',
      estimate: bad / total,
      samples: total,
      windows: used,
      suspect: suspect || bad / total > m.limit,
      reason: `${describe(m.metric, bad / total, total, policy)}: too few to judge (< ${m.minSamples})`,
    };
  }
  const { high } = wilson(longest.bad, longest.total, zHealthy);
  const share = longest.bad / longest.total;
  // Healthy only when nothing recent points the other way: a suspect newest window asks for more evidence first.
  if (high <= m.limit && !suspect)
    return {
      metric: m.metric,
      kind: 'healthy',
      estimate: share,
      samples: longest.total,
      windows: longest.windows,
      suspect: false,
      reason: `${describe(m.metric, share, longest.total, policy)} over ${longest.windows} window${longest.windows > 1 ? 's' : ''}`,
    };
  return {
    metric: m.metric,
    kind: 'inconclusive',
    estimate: newest!.bad / newest!.total,
    samples: newest!.total,
    windows: newest!.windows,
    suspect,
    reason: `${describe(m.metric, share, longest.total, policy)}: not yet conclusive`,
  };
}

/** A p95 from an old trace (no count of slow requests): judged per window, only with enough requests. */
function judgeP95Only(windows: EvidenceCounts[], policy: EvidencePolicy): MetricVerdict | null {
  const last = windows.at(-1);
  if (!last || last.slow !== null || last.p95LatencyMs === null) return null;
  const limit = policy.thresholds.p95LatencyMs;
  if (last.requests < policy.minRequests)
    return {
      metric: 'p95',
      kind: 'inconclusive',
      estimate: last.p95LatencyMs,
      samples: last.requests,
      windows: 1,
      suspect: last.p95LatencyMs > limit,
      reason: `p95 ${last.p95LatencyMs} ms from ${last.requests} requests: too few to judge`,
    };
  const over = last.p95LatencyMs > limit;
  return {
    metric: 'p95',
    kind: over ? 'breach' : 'healthy',
    estimate: last.p95LatencyMs,
    samples: last.requests,
    windows: 1,
    suspect: false,
    reason: `p95 ${last.p95LatencyMs} ms ${over ? '>' : '≤'} ${limit} ms`,
  };
}

function judgeCost(windows: EvidenceCounts[], policy: EvidencePolicy): MetricVerdict | null {
  const last = windows.at(-1);
  const limit = policy.thresholds.maxCostPer1kTokens;
  // No cost limit (a canary's gate has none): nothing to judge, and nothing to say about it.
  if (!last || last.costPer1kTokens === null || !Number.isFinite(limit)) return null;
  const over = last.costPer1kTokens > limit;
  return {
    metric: 'cost',
    kind: over ? 'breach' : 'healthy',
    estimate: last.costPer1kTokens,
    samples: 1,
    windows: 1,
    suspect: false,
    reason: `cost ${last.costPer1kTokens}/1k tokens ${over ? '>' : '≤'} ${limit}`,
  };
}

/**
 * The verdict on the newest windows of one deployment (oldest first): a breach when any metric is
 * a breach, healthy when every metric with evidence is healthy (and there is evidence of errors),
 * otherwise inconclusive.
 */
export function judgeEvidence(windows: EvidenceCounts[], policy: EvidencePolicy): EvidenceVerdict {
  const t = policy.thresholds;
  const proportions: Proportion[] = [
    { metric: 'errorRate', limit: t.errorRate, minSamples: policy.minRequests },
    // p95 ≤ T exactly when at most 5 % of requests take longer than T.
    { metric: 'p95', limit: 0.05, minSamples: policy.minRequests },
    // As a share of wrong answers; the epsilon keeps 4 of 5 right at 0.80 from reading as past 0.80.
    { metric: 'accuracy', limit: 1 - t.minAccuracy + 1e-9, minSamples: policy.minLabelled },
  ];
  const metrics = [
    ...proportions.map((m) => judgeProportion(windows, m, policy)),
    judgeP95Only(windows, policy),
    judgeCost(windows, policy),
  ].filter((m): m is MetricVerdict => m !== null);
  const breaches = metrics.filter((m) => m.kind === 'breach');
  if (breaches.length) return { kind: 'breach', reason: breaches.map((m) => m.reason).join('; '), metrics };
  const open = metrics.filter((m) => m.kind === 'inconclusive');
  if (!open.length && metrics.some((m) => m.metric === 'errorRate'))
    return { kind: 'healthy', reason: metrics.map((m) => m.reason).join('; '), metrics };
  return { kind: 'inconclusive', reason: open.length ? open.map((m) => m.reason).join('; ') : 'no evidence', metrics };
}

/** Counts added together: a window topped up with a round of probes. */
export function addCounts(a: EvidenceCounts, b: EvidenceCounts): EvidenceCounts {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    slow: a.slow === null || b.slow === null ? (a.slow ?? b.slow) : a.slow + b.slow,
    p95LatencyMs:
      a.p95LatencyMs === null
        ? b.p95LatencyMs
        : b.p95LatencyMs === null
          ? a.p95LatencyMs
          : max(a.p95LatencyMs, b.p95LatencyMs),
    labelled: a.labelled + b.labelled,
    correct: a.correct + b.correct,
    costPer1kTokens: a.costPer1kTokens ?? b.costPer1kTokens,
  };
}

/** Inconclusive with a suspect metric: the round of extra probes worth sending now (0: none). */
export function extraProbesWanted(verdict: EvidenceVerdict, budgetLeft: number, perRound: number): number {
  if (verdict.kind !== 'inconclusive' || !verdict.metrics.some((m) => m.suspect)) return 0;
  return max(0, min(perRound, budgetLeft));
}
