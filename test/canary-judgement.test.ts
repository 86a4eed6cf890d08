import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { judgeCanaryStep, type CanaryConfidence } from '../workflows/canary-judgement';
import { DEFAULT_ANALYSIS, DEFAULT_STEPS } from '../workflows/deployment-types';
import { policyFor, ThresholdsFileSchema } from '../config/performance-thresholds';
import { HEALTHY, simulateRollout, type Regime } from '../workflows/watchdog/simulator';

const policy = policyFor(
  ThresholdsFileSchema.parse(
    parseYaml(fs.readFileSync(path.resolve(__dirname, '..', 'performance_thresholds.yml'), 'utf8')),
  ),
);
const confidence: CanaryConfidence = {
  breachConfidence: policy.breachConfidence,
  healthyConfidence: policy.healthyConfidence,
  minLabelled: policy.minLabelled,
  extraProbesPerRound: policy.extraProbes.perRound,
};
const rollouts = (regime: Regime, liveRequestsPerSecond: number, count: number) =>
  Array.from({ length: count }, (_, seed) =>
    simulateRollout(regime, {
      seed,
      steps: DEFAULT_STEPS,
      liveRequestsPerSecond,
      analysis: DEFAULT_ANALYSIS,
      confidence,
    }),
  );

describe('canary analysis by evidence (pure, seeded)', () => {
  it.each([0, 5, 50])(
    'promotes a healthy model with %d live requests/s: 0 false rollbacks in 1,000 rollouts',
    (rate) => {
      const outcomes = rollouts(HEALTHY, rate, 1_000);
      expect(outcomes.filter((o) => o.outcome !== 'promoted')).toEqual([]);
      // Every step says how much of its evidence was live and how much probed.
      const step = outcomes[0].steps[0];
      expect(step.liveRequests! + step.probeRequests!).toBe(step.requests);
      expect(step.labelled).toBeGreaterThanOrEqual(policy.minLabelled - 5);
      if (rate === 0) expect(step.liveRequests).toBe(0);
    },
  );

  it.each([
    ['30 % errors', { errorRate: 0.3 }],
    ['accuracy 0.60', { accuracy: 0.6 }],
    ['p95 1,000 ms', { p95Ms: 1_000 }],
  ])('rolls a model with %s back at its first step, with or without live traffic', (_name, change) => {
    for (const rate of [0, 5, 50]) {
      const outcomes = rollouts({ ...HEALTHY, ...change }, rate, 100);
      expect(outcomes.filter((o) => o.outcome !== 'rolled_back' || o.steps.length !== 1)).toEqual([]);
      expect(outcomes[0].steps[0]).toMatchObject({ passed: false, verdict: 'breach', insufficientData: false });
    }
  });

  it('fails a step only when probes could not fill it either, and says so', () => {
    const none = { requests: 2, errors: 0, slow: 0, p95LatencyMs: 12, labelled: 0, correct: 0, costPer1kTokens: null };
    expect(judgeCanaryStep(none, { requests: 2 }, DEFAULT_ANALYSIS, confidence)).toMatchObject({
      passed: false,
      insufficientData: true,
      reason: 'insufficient data: 2 requests < 20 (2 live requests and 0 probes (0 labelled); the probes failed too)',
    });
    const inconclusive = { ...none, requests: 40, errors: 3, labelled: 38, correct: 30 };
    expect(judgeCanaryStep(inconclusive, { requests: 2 }, DEFAULT_ANALYSIS, confidence)).toMatchObject({
      passed: true,
      verdict: 'inconclusive',
      liveRequests: 2,
      probeRequests: 38,
      reason: expect.stringMatching(/^no breach: .*from 2 live requests and 38 probes \(38 labelled\)$/),
    });
  });

  it('says nothing of cost: a canary gate has no cost limit', () => {
    const healthy = {
      requests: 200,
      errors: 0,
      slow: 0,
      p95LatencyMs: 12,
      labelled: 200,
      correct: 190,
      costPer1kTokens: 0.002,
    };
    const step = judgeCanaryStep(healthy, { requests: 200 }, DEFAULT_ANALYSIS, confidence);
    expect(step.verdict).toBe('healthy');
    expect(step.reason).not.toMatch(/cost|Infinity/);
  });
});
