import { z } from 'zod';
import type { WatchdogPolicy } from '../workflows/watchdog/evaluate';
import { gatePolicy, GatePolicyOverrides, type Gate } from '../workflows/gate-policy';

/** "5s", "2m", "1h" → seconds. */
const duration = z
  .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?[smh]$/, 'must look like 5s, 2m or 1h')])
  .transform((v) =>
    typeof v === 'number' ? v : Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[v.slice(-1) as 's' | 'm' | 'h'],
  );

const thresholds = z.strictObject({
  p95LatencyMs: z.number().positive(),
  errorRate: z.number().min(0).max(1),
  minAccuracy: z.number().min(0).max(1),
  maxCostPer1kTokens: z.number().min(0),
});

const confidence = z.number().gt(0.5).lt(1);

const policyFields = {
  evaluationInterval: duration.refine((s) => s >= 1, 'must be at least 1s'),
  minRequests: z.number().int().min(1),
  minLabelled: z.number().int().min(1),
  evidenceSpan: duration,
  confidence: z.strictObject({ breach: confidence, healthy: confidence }),
  extraProbes: z.strictObject({ perRound: z.number().int().min(0).max(200), perMinute: z.number().int().min(0) }),
  /** No longer applies (a switch needs one conclusive breach); accepted so older files keep loading. */
  breachesToTrip: z.number().int().min(1),
  healthyToRecover: z.number().int().min(1),
  cooldown: duration,
  autoRollback: z.boolean(),
  /** Start a watchdog (its Schedule) when a rollout promotes a model of the specialization. */
  watch: z.boolean(),
};

/** What a file written before judgement by evidence leaves out. */
export const EVIDENCE_DEFAULTS = {
  minLabelled: 100,
  evidenceSpan: 180,
  confidence: { breach: 0.9999, healthy: 0.95 },
  extraProbes: { perRound: 100, perMinute: 300 },
} as const;

/** The switch rule of the point-estimate judge (before judgement by evidence): replayed histories use it. */
const LEGACY_BREACHES_TO_TRIP = 3;

const overrides = z.strictObject({
  evaluationInterval: policyFields.evaluationInterval.optional(),
  minRequests: policyFields.minRequests.optional(),
  minLabelled: policyFields.minLabelled.optional(),
  evidenceSpan: policyFields.evidenceSpan.optional(),
  confidence: policyFields.confidence.partial().optional(),
  extraProbes: policyFields.extraProbes.partial().optional(),
  breachesToTrip: policyFields.breachesToTrip.optional(),
  healthyToRecover: policyFields.healthyToRecover.optional(),
  cooldown: policyFields.cooldown.optional(),
  autoRollback: policyFields.autoRollback.optional(),
  watch: policyFields.watch.optional(),
  thresholds: thresholds.partial().optional(),
  gate: GatePolicyOverrides.optional(),
});

/** performance_thresholds.yml: defaults, and per specialization overrides of any field. */
export const ThresholdsFileSchema = z.strictObject({
  defaults: z.strictObject({
    ...policyFields,
    minLabelled: policyFields.minLabelled.default(EVIDENCE_DEFAULTS.minLabelled),
    evidenceSpan: policyFields.evidenceSpan.default(EVIDENCE_DEFAULTS.evidenceSpan),
    confidence: policyFields.confidence.default({ ...EVIDENCE_DEFAULTS.confidence }),
    extraProbes: policyFields.extraProbes.default({ ...EVIDENCE_DEFAULTS.extraProbes }),
    breachesToTrip: policyFields.breachesToTrip.optional(),
    watch: policyFields.watch.default(true),
    thresholds,
    /** The weakest health gate a rollout may ask for without admin (workflows/gate-policy.ts). */
    gate: GatePolicyOverrides.optional(),
  }),
  specializations: z.record(z.string(), overrides).default({}),
});

export type ThresholdsFile = z.output<typeof ThresholdsFileSchema>;

/** The policy in force for a specialization: its overrides over the defaults. */
export function policyFor(file: ThresholdsFile, specialization?: string): WatchdogPolicy {
  const o = (specialization ? file.specializations[specialization] : undefined) ?? {};
  const d = file.defaults;
  return {
    evaluationIntervalSeconds: o.evaluationInterval ?? d.evaluationInterval,
    minRequests: o.minRequests ?? d.minRequests,
    minLabelled: o.minLabelled ?? d.minLabelled,
    evidenceSpanSeconds: o.evidenceSpan ?? d.evidenceSpan,
    breachConfidence: o.confidence?.breach ?? d.confidence.breach,
    healthyConfidence: o.confidence?.healthy ?? d.confidence.healthy,
    extraProbes: { ...d.extraProbes, ...(o.extraProbes ?? {}) },
    breachesToTrip: o.breachesToTrip ?? d.breachesToTrip ?? LEGACY_BREACHES_TO_TRIP,
    healthyToRecover: o.healthyToRecover ?? d.healthyToRecover,
    cooldownSeconds: o.cooldown ?? d.cooldown,
    autoRollback: o.autoRollback ?? d.autoRollback,
    watch: o.watch ?? d.watch,
    thresholds: { ...d.thresholds, ...(o.thresholds ?? {}) },
  };
}

/** The gate policy of a specialization: the weakest rollout a `write` caller may ask for. */
export const gatePolicyFor = (file: ThresholdsFile, specialization: string): Gate =>
  gatePolicy(file.defaults.gate, file.specializations[specialization]?.gate);

/** Knobs in a file that no longer do anything, each with what decides instead. */
export function thresholdsNotices(file: ThresholdsFile): string[] {
  const places = [
    ...(file.defaults.breachesToTrip !== undefined ? ['defaults.breachesToTrip'] : []),
    ...Object.entries(file.specializations)
      .filter(([, o]) => o.breachesToTrip !== undefined)
      .map(([name]) => `specializations.${name}.breachesToTrip`),
  ];
  return places.map(
    (p) =>
      `${p} no longer applies: a switch needs one conclusive breach (confidence.breach over the evidence span), not a streak of windows; remove it`,
  );
}
