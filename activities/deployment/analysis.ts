import type { AnalysisThresholds, StepAnalysis } from '../../workflows/deployment-types';

export interface WindowStats {
  requests: number;
  errors: number;
  p95LatencyMs: number | null;
}

/** The verdict of one analysis window: every threshold checked, each violation named with its number. */
export function judgeWindow(stats: WindowStats, probeAccuracy: number, t: AnalysisThresholds): StepAnalysis {
  const errorRate = stats.requests ? stats.errors / stats.requests : 0;
  const base = { requests: stats.requests, errors: stats.errors, errorRate, p95LatencyMs: stats.p95LatencyMs, probeAccuracy };
  if (stats.requests < t.minRequests) {
    return { ...base, insufficientData: true, passed: false, reason: `insufficient data: ${stats.requests} requests < ${t.minRequests}` };
  }
  const violations: string[] = [];
  if (errorRate > t.maxErrorRate) violations.push(`error rate ${(errorRate * 100).toFixed(1)}% > ${(t.maxErrorRate * 100).toFixed(1)}%`);
  if (stats.p95LatencyMs !== null && stats.p95LatencyMs > t.maxP95LatencyMs) violations.push(`p95 latency ${stats.p95LatencyMs.toFixed(0)} ms > ${t.maxP95LatencyMs} ms`);
  if (probeAccuracy < t.minAccuracy) violations.push(`probe accuracy ${probeAccuracy.toFixed(3)} < ${t.minAccuracy}`);
  return {
    ...base,
    insufficientData: false,
    passed: violations.length === 0,
    reason: violations.length ? violations.join('; ') : `healthy: ${stats.requests} requests, error rate ${(errorRate * 100).toFixed(1)}%, p95 ${stats.p95LatencyMs?.toFixed(0) ?? '-'} ms, probe accuracy ${probeAccuracy.toFixed(3)}`,
  };
}
