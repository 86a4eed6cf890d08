/**
 * The verdict on one canary step, by the watchdog's statistics (watchdog/evidence.ts): the step's
 * live traffic plus labelled probes through the serving path, one pooled window. A step fails only
 * on a conclusive breach; it passes once it holds enough requests and no breach. Pure: the
 * analysis activity and the rollout simulator run this same code.
 */
import type { AnalysisThresholds, StepAnalysis } from './deployment-types';
import { extraProbesWanted, judgeEvidence, type EvidenceCounts, type EvidencePolicy } from './watchdog/evidence';

/** How sure a canary verdict must be, and how many probes it may ask for: from the watchdog's policy. */
export interface CanaryConfidence {
  breachConfidence: number;
  healthyConfidence: number;
  minLabelled: number;
  extraProbesPerRound: number;
}

/** Rounds of extra probes one step may ask for before it decides on what it has. */
export const CANARY_PROBE_ROUNDS = 3;

export function canaryPolicy(t: AnalysisThresholds, c: CanaryConfidence): EvidencePolicy {
  return {
    spanWindows: 1,
    minRequests: t.minRequests,
    minLabelled: c.minLabelled,
    breachConfidence: c.breachConfidence,
    healthyConfidence: c.healthyConfidence,
    thresholds: {
      errorRate: t.maxErrorRate,
      p95LatencyMs: t.maxP95LatencyMs,
      minAccuracy: t.minAccuracy,
      maxCostPer1kTokens: Infinity,
    },
  };
}

/** Probes to send before judging (0: none): enough labels for accuracy, and enough requests when live traffic is short. */
export function canaryProbesNeeded(live: EvidenceCounts, t: AnalysisThresholds, c: CanaryConfidence): number {
  return Math.max(c.minLabelled - live.labelled, t.minRequests - live.requests, 0);
}

/** More probes worth sending after a first judgement (0: decide now). */
export function canaryExtraProbes(evidence: EvidenceCounts, t: AnalysisThresholds, c: CanaryConfidence): number {
  return extraProbesWanted(judgeEvidence([evidence], canaryPolicy(t, c)), c.extraProbesPerRound, c.extraProbesPerRound);
}

/** The step's analysis: what was measured, how much of it was live, and the verdict. */
export function judgeCanaryStep(
  evidence: EvidenceCounts,
  live: { requests: number },
  t: AnalysisThresholds,
  c: CanaryConfidence,
): StepAnalysis {
  const verdict = judgeEvidence([evidence], canaryPolicy(t, c));
  const errorRate = evidence.requests ? evidence.errors / evidence.requests : 0;
  const probeAccuracy = evidence.labelled ? evidence.correct / evidence.labelled : 0;
  const probed = evidence.requests - live.requests;
  const base = {
    requests: evidence.requests,
    errors: evidence.errors,
    errorRate,
    p95LatencyMs: evidence.p95LatencyMs,
    probeAccuracy,
    liveRequests: live.requests,
    probeRequests: probed,
    labelled: evidence.labelled,
    correct: evidence.correct,
    verdict: verdict.kind,
  };
  const evidenceLine = `${live.requests} live requests and ${probed} probes (${evidence.labelled} labelled)`;
  if (evidence.requests < t.minRequests) {
    return {
      ...base,
      insufficientData: true,
      passed: false,
      reason: `insufficient data: ${evidence.requests} requests < ${t.minRequests} (${evidenceLine}; the probes failed too)`,
    };
  }
  if (verdict.kind === 'breach')
    return { ...base, insufficientData: false, passed: false, reason: `${verdict.reason}; from ${evidenceLine}` };
  return {
    ...base,
    insufficientData: false,
    passed: true,
    reason: `${verdict.kind === 'healthy' ? 'healthy' : 'no breach'}: ${verdict.reason}; from ${evidenceLine}`,
  };
}
