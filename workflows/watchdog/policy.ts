import { z } from 'zod';
import type { WatchdogPolicy } from './evaluate';

/** "5s", "2m", "1h" → seconds. */
const duration = z
  .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?[smh]$/, 'must look like 5s, 2m or 1h')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[v.slice(-1) as 's' | 'm' | 'h']));

const thresholds = z.strictObject({
  p95LatencyMs: z.number().positive(),
  errorRate: z.number().min(0).max(1),
  minAccuracy: z.number().min(0).max(1),
  maxCostPer1kTokens: z.number().min(0),
});

const policyFields = {
  evaluationInterval: duration.refine((s) => s >= 1, 'must be at least 1s'),
  minRequests: z.number().int().min(1),
  breachesToTrip: z.number().int().min(1),
  healthyToRecover: z.number().int().min(1),
  cooldown: duration,
  autoRollback: z.boolean(),
};

/** performance_thresholds.yml: defaults, and per specialization overrides of any field. */
export const ThresholdsFileSchema = z.strictObject({
  defaults: z.strictObject({ ...policyFields, thresholds }),
  specializations: z
    .record(
      z.string(),
      z.strictObject({
        evaluationInterval: policyFields.evaluationInterval.optional(),
        minRequests: policyFields.minRequests.optional(),
        breachesToTrip: policyFields.breachesToTrip.optional(),
        healthyToRecover: policyFields.healthyToRecover.optional(),
        cooldown: policyFields.cooldown.optional(),
        autoRollback: policyFields.autoRollback.optional(),
        thresholds: thresholds.partial().optional(),
      }),
    )
    .default({}),
});

export type ThresholdsFile = z.output<typeof ThresholdsFileSchema>;

/** The policy in force for a specialization: its overrides over the defaults. */
export function policyFor(file: ThresholdsFile, specialization?: string): WatchdogPolicy {
  const o = (specialization ? file.specializations[specialization] : undefined) ?? {};
  const d = file.defaults;
  return {
    evaluationIntervalSeconds: o.evaluationInterval ?? d.evaluationInterval,
    minRequests: o.minRequests ?? d.minRequests,
    breachesToTrip: o.breachesToTrip ?? d.breachesToTrip,
    healthyToRecover: o.healthyToRecover ?? d.healthyToRecover,
    cooldownSeconds: o.cooldown ?? d.cooldown,
    autoRollback: o.autoRollback ?? d.autoRollback,
    thresholds: { ...d.thresholds, ...(o.thresholds ?? {}) },
  };
}
