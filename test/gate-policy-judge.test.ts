import { parseThresholds, ThresholdsInvalid } from '../db/stores/thresholds';
import { BUILT_IN_GATE, judgeGate, type Gate } from '../workflows/gate-policy';
import { gatePolicyFor } from '../config/performance-thresholds';

/**
 * Issue #15 (2): the health gate is the server's. A `write` caller may ask for a stricter gate than
 * the specialization's policy, never a weaker one; an admin may, and the rollout's log opens with
 * who chose what. Four-eyes: whoever deployed does not approve.
 */
describe('the gate policy, judged', () => {
  const policy: Gate = { ...BUILT_IN_GATE, steps: [10, 50, 100], requireApproval: true };

  it('layers a specialization over the defaults over the built-in gate', () => {
    const file = parseThresholds({
      defaults: {
        evaluationInterval: '5s',
        minRequests: 20,
        healthyToRecover: 6,
        cooldown: '60s',
        autoRollback: true,
        thresholds: { p95LatencyMs: 250, errorRate: 0.05, minAccuracy: 0.8, maxCostPer1kTokens: 0.01 },
        gate: { analysis: { maxErrorRate: 0.02 } },
      },
      specializations: {
        strict: { gate: { requireApproval: true, steps: [5, 25, 100], analysis: { minAccuracy: 0.9 } } },
      },
    });
    expect(gatePolicyFor(file, 'other')).toEqual({
      ...BUILT_IN_GATE,
      analysis: { ...BUILT_IN_GATE.analysis, maxErrorRate: 0.02 },
    });
    expect(gatePolicyFor(file, 'strict')).toEqual({
      ...BUILT_IN_GATE,
      steps: [5, 25, 100],
      requireApproval: true,
      analysis: { ...BUILT_IN_GATE.analysis, maxErrorRate: 0.02, minAccuracy: 0.9 },
    });
  });

  it('refuses a gate policy that does not validate, naming the field', () => {
    const base = {
      evaluationInterval: '5s',
      minRequests: 20,
      healthyToRecover: 6,
      cooldown: '60s',
      autoRollback: true,
      thresholds: { p95LatencyMs: 250, errorRate: 0.05, minAccuracy: 0.8, maxCostPer1kTokens: 0.01 },
    };
    expect(() => parseThresholds({ defaults: { ...base, gate: { steps: [50, 10] } } })).toThrow(ThresholdsInvalid);
    expect(() => parseThresholds({ defaults: base, specializations: { s: { gate: { fourEyes: 'no' } } } })).toThrow(
      /specializations\.s\.gate\.fourEyes/,
    );
  });

  it('gives what was left out from the policy, and lets a stricter gate through', () => {
    const { gate, weakened } = judgeGate(policy, {
      steps: [5, 10, 50, 100],
      analysis: { maxErrorRate: 0.01, minAccuracy: 0.95, minRequests: 50, windowSeconds: 1, maxWindows: 20 },
    });
    expect(weakened).toEqual([]);
    expect(gate).toEqual({
      ...policy,
      steps: [5, 10, 50, 100],
      analysis: {
        ...policy.analysis,
        maxErrorRate: 0.01,
        minAccuracy: 0.95,
        minRequests: 50,
        windowSeconds: 1,
        maxWindows: 20,
      },
    });
    expect(judgeGate(policy, {})).toEqual({ gate: policy, weakened: [] });
  });

  it('names every way a request is weaker than the policy', () => {
    const { weakened } = judgeGate(
      policy,
      {
        steps: [100],
        analysis: { maxErrorRate: 0.5, maxP95LatencyMs: 30_000, minAccuracy: 0, minRequests: 1 },
        requireApproval: false,
      },
      { specialization: 'parts-specialist', modelSpecialization: 'automotive-sales' },
    );
    expect(weakened.map((w) => w.field)).toEqual([
      'steps',
      'analysis.maxErrorRate',
      'analysis.maxP95LatencyMs',
      'analysis.minAccuracy',
      'analysis.minRequests',
      'requireApproval',
      'specialization',
    ]);
    expect(weakened[0]).toEqual({ field: 'steps', requested: [100], policy: [10, 50, 100] });
  });

  it('judges a canary by where it starts and how many steps it takes', () => {
    expect(judgeGate(policy, { steps: [20, 50, 100] }).weakened.map((w) => w.field)).toEqual(['steps']);
    expect(judgeGate(policy, { steps: [10, 100] }).weakened.map((w) => w.field)).toEqual(['steps']);
    expect(judgeGate(policy, { steps: [1, 2, 100] }).weakened).toEqual([]);
  });

  it('judges the approval settings against a policy that requires approval, and only then', () => {
    // The policy here requires approval with rollback on timeout, four-eyes and an hour.
    expect(
      judgeGate(policy, { onApprovalTimeout: 'promote', approvalTimeoutSeconds: 60, fourEyes: false }).weakened.map(
        (w) => w.field,
      ),
    ).toEqual(['onApprovalTimeout', 'approvalTimeoutSeconds', 'fourEyes']);
    // A shorter deadline that rolls back is not weaker: nothing promotes without an approval.
    expect(judgeGate(policy, { approvalTimeoutSeconds: 60 }).weakened).toEqual([]);
    const promoting: Gate = { ...policy, onApprovalTimeout: 'promote' };
    expect(judgeGate(promoting, { approvalTimeoutSeconds: 1 }).weakened).toEqual([
      { field: 'approvalTimeoutSeconds', requested: 1, policy: 3600 },
    ]);
    // Approval a policy does not require is stronger than none, however it is set up.
    const lenient: Gate = { ...policy, requireApproval: false };
    expect(
      judgeGate(lenient, {
        requireApproval: true,
        onApprovalTimeout: 'promote',
        approvalTimeoutSeconds: 1,
        fourEyes: false,
      }).weakened,
    ).toEqual([]);
  });
});
