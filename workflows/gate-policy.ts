import { z } from 'zod';
import {
  DEFAULT_ANALYSIS,
  DEFAULT_STEPS,
  type AnalysisThresholds,
  type GateChoice,
  type GateWeakening,
} from './deployment-types';

/**
 * The health gate a rollout may ask for (README: "Gate policy"). The thresholds file holds, per
 * specialization over defaults, the weakest gate a `write` caller may choose; asking for less needs
 * `admin`, and what was chosen, by whom, is the rollout's first decision. No SDK imports: the API
 * judges requests with it and the thresholds file's schema includes it.
 */

/** Canary weights in percent: increasing, ending at 100. */
export const CanarySteps = z
  .array(z.number().int().min(1).max(100))
  .min(1)
  .max(10)
  .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), 'must increase')
  .refine((s) => s[s.length - 1] === 100, 'must end at 100');

export const AnalysisFields = z.strictObject({
  windowSeconds: z.number().int().min(1).max(3600),
  minRequests: z.number().int().min(1).max(1_000_000),
  maxWindows: z.number().int().min(1).max(20),
  maxErrorRate: z.number().min(0).max(1),
  maxP95LatencyMs: z.number().positive().max(600_000),
  minAccuracy: z.number().min(0).max(1),
});

export const ApprovalTimeoutSeconds = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);
export const OnApprovalTimeout = z.enum(['rollback', 'promote']);

/** A gate policy in the thresholds file: any field, over the one it inherits. */
export const GatePolicyOverrides = z.strictObject({
  steps: CanarySteps.optional(),
  analysis: AnalysisFields.partial().optional(),
  requireApproval: z.boolean().optional(),
  approvalTimeoutSeconds: ApprovalTimeoutSeconds.optional(),
  onApprovalTimeout: OnApprovalTimeout.optional(),
  /** When approval is required, the approver is someone other than the deployer. */
  fourEyes: z.boolean().optional(),
});
export type GatePolicyOverrides = z.output<typeof GatePolicyOverrides>;

/** The gate a rollout runs with; the policy is one of these too (the defaults of every request). */
export interface Gate {
  steps: number[];
  analysis: AnalysisThresholds;
  requireApproval: boolean;
  approvalTimeoutSeconds: number;
  onApprovalTimeout: 'rollback' | 'promote';
  fourEyes: boolean;
}

/** The gate of a file that says nothing about gates: what every rollout got before there was a policy, with four-eyes on. */
export const BUILT_IN_GATE: Gate = {
  steps: DEFAULT_STEPS,
  analysis: DEFAULT_ANALYSIS,
  requireApproval: false,
  approvalTimeoutSeconds: 3600,
  onApprovalTimeout: 'rollback',
  fourEyes: true,
};

/** The policy of a specialization: its overrides over the defaults' over the built-in gate. */
export function gatePolicy(defaults: GatePolicyOverrides | undefined, own: GatePolicyOverrides | undefined): Gate {
  const layers = [defaults ?? {}, own ?? {}];
  return layers.reduce<Gate>(
    (gate, layer) => ({
      steps: layer.steps ?? gate.steps,
      analysis: { ...gate.analysis, ...(layer.analysis ?? {}) },
      requireApproval: layer.requireApproval ?? gate.requireApproval,
      approvalTimeoutSeconds: layer.approvalTimeoutSeconds ?? gate.approvalTimeoutSeconds,
      onApprovalTimeout: layer.onApprovalTimeout ?? gate.onApprovalTimeout,
      fourEyes: layer.fourEyes ?? gate.fourEyes,
    }),
    BUILT_IN_GATE,
  );
}

/** What a caller asked for: any field left out takes the policy's. */
export interface GateRequest {
  steps?: number[];
  analysis?: Partial<AnalysisThresholds>;
  requireApproval?: boolean;
  approvalTimeoutSeconds?: number;
  onApprovalTimeout?: 'rollback' | 'promote';
  fourEyes?: boolean;
}

/** How each analysis field gets weaker: a larger maximum, a smaller minimum. Window timing is not strength. */
const WEAKER_WHEN: Partial<Record<keyof AnalysisThresholds, 'higher' | 'lower'>> = {
  maxErrorRate: 'higher',
  maxP95LatencyMs: 'higher',
  minAccuracy: 'lower',
  minRequests: 'lower',
};

/**
 * The gate a request gets under a policy, and every way it is weaker than the policy. A canary is
 * weaker when it starts at a larger weight or has fewer steps; the analysis when it tolerates more
 * errors or latency, less accuracy or fewer requests; approval the policy requires when it is not
 * asked for, when a timeout would promote (or promote sooner), or when the deployer may approve
 * their own rollout;
 * and a model goes to a specialization other than the one it was registered for.
 */
export function judgeGate(
  policy: Gate,
  request: GateRequest,
  placement?: { specialization: string; modelSpecialization: string | null },
): { gate: Gate; weakened: GateWeakening[] } {
  const gate: Gate = {
    steps: request.steps ?? policy.steps,
    analysis: { ...policy.analysis, ...(request.analysis ?? {}) },
    requireApproval: request.requireApproval ?? policy.requireApproval,
    approvalTimeoutSeconds: request.approvalTimeoutSeconds ?? policy.approvalTimeoutSeconds,
    onApprovalTimeout: request.onApprovalTimeout ?? policy.onApprovalTimeout,
    fourEyes: request.fourEyes ?? policy.fourEyes,
  };
  const weakened: GateWeakening[] = [];
  if (gate.steps.length < policy.steps.length || gate.steps[0] > policy.steps[0]) {
    weakened.push({ field: 'steps', requested: gate.steps, policy: policy.steps });
  }
  for (const [field, direction] of Object.entries(WEAKER_WHEN) as [keyof AnalysisThresholds, 'higher' | 'lower'][]) {
    const asked = gate.analysis[field];
    const allowed = policy.analysis[field];
    if (direction === 'higher' ? asked > allowed : asked < allowed)
      weakened.push({ field: `analysis.${field}`, requested: asked, policy: allowed });
  }
  if (policy.requireApproval && !gate.requireApproval)
    weakened.push({ field: 'requireApproval', requested: false, policy: true });
  // Approval a policy does not require is stronger than none, however it is set up; where the
  // policy requires it, its timeout, what the timeout does and four-eyes are judged against it.
  if (policy.requireApproval && gate.requireApproval) {
    if (gate.onApprovalTimeout === 'promote' && policy.onApprovalTimeout === 'rollback')
      weakened.push({ field: 'onApprovalTimeout', requested: 'promote', policy: 'rollback' });
    // A deadline that promotes comes sooner: less time for anyone to look.
    if (gate.onApprovalTimeout === 'promote' && gate.approvalTimeoutSeconds < policy.approvalTimeoutSeconds)
      weakened.push({
        field: 'approvalTimeoutSeconds',
        requested: gate.approvalTimeoutSeconds,
        policy: policy.approvalTimeoutSeconds,
      });
    if (policy.fourEyes && !gate.fourEyes) weakened.push({ field: 'fourEyes', requested: false, policy: true });
  }
  if (placement?.modelSpecialization && placement.modelSpecialization !== placement.specialization) {
    weakened.push({
      field: 'specialization',
      requested: placement.specialization,
      policy: placement.modelSpecialization,
    });
  }
  return { gate, weakened };
}

/** The decision that opens a rollout's log: the gate, who chose it, and what of it is weaker than policy. */
export function gateDecisionMessage(choice: GateChoice, specialization: string): string {
  const policy = `the gate policy (thresholds v${choice.policyVersion}) for ${specialization}`;
  if (choice.weakened.length === 0) return `gate chosen by ${choice.chosenBy} (${choice.level}) within ${policy}`;
  const what = choice.weakened
    .map((w) => `${w.field} ${JSON.stringify(w.requested)} (policy ${JSON.stringify(w.policy)})`)
    .join('; ');
  return `gate chosen by ${choice.chosenBy} (${choice.level}) weaker than ${policy}: ${what}`;
}
