import { z } from '@hono/zod-openapi';
import { ALERT_CLASSES } from '../../workflows/watchdog/types';
import { slug } from './common';

export const SpecializationOnlyParam = z.object({
  specialization: slug(100).openapi({ param: { name: 'specialization', in: 'path' }, example: 'parts-specialist' }),
});

/** One recorded window of a trace: what `watchdog:backtest` reads and `/performance/{s}/trace` exports. */
export const TraceWindowSchema = z
  .object({
    t: z.number().min(0).openapi({ description: 'Seconds since the trace began' }),
    model: z.enum(['primary', 'backup']),
    requests: z.number().int().min(0),
    errors: z.number().int().min(0),
    slow: z.number().int().min(0).nullable().default(null).openapi({
      description: 'Requests slower than the p95 threshold; without it the window is judged on p95LatencyMs alone',
    }),
    p95LatencyMs: z.number().min(0).nullable().default(null),
    labelled: z.number().int().min(0).optional().openapi({
      description:
        'Labelled probes answered; a window with accuracy alone counts as 5 (what the watchdog sent per window)',
    }),
    correct: z.number().int().min(0).optional(),
    accuracy: z.number().min(0).max(1).nullable().default(null),
    costPer1kTokens: z.number().min(0).nullable().default(null),
  })
  .refine((w) => w.errors <= w.requests, { message: 'errors cannot exceed requests', path: ['errors'] })
  .refine((w) => w.slow === null || w.slow <= w.requests, { message: 'slow cannot exceed requests', path: ['slow'] })
  .refine((w) => (w.labelled === undefined) === (w.correct === undefined), {
    message: 'labelled and correct come together',
    path: ['correct'],
  })
  .refine((w) => w.correct === undefined || w.labelled === undefined || w.correct <= w.labelled, {
    message: 'correct cannot exceed labelled',
    path: ['correct'],
  })
  .openapi('TraceWindow');

const thresholdsDocument = z.record(z.string(), z.unknown()).openapi({
  description:
    'The performance_thresholds.yml document as JSON: {defaults: {...}, specializations: {name: {...}}}; durations as "5s" or seconds',
});

export const BacktestRequest = z
  .strictObject({
    thresholds: thresholdsDocument.optional().openapi({ description: 'Defaults to the thresholds in force' }),
    trace: z.array(TraceWindowSchema).min(1).max(100_000),
    specialization: slug(100).optional(),
  })
  .openapi('BacktestRequest');

export const BacktestResultSchema = z
  .object({
    trips: z.number().int(),
    recoveries: z.number().int(),
    decisions: z.array(z.object({ t: z.number(), action: z.enum(['switch', 'rollback']), reason: z.string() })),
    thresholdsVersion: z.number().int().nullable(),
    notices: z
      .array(z.string())
      .openapi({ description: 'Knobs in the thresholds that no longer apply, each with what decides instead' }),
  })
  .openapi('BacktestResult');

export const ThresholdsPutRequest = z.strictObject({ thresholds: thresholdsDocument }).openapi('ThresholdsPutRequest');

export const ThresholdsVersionSchema = z
  .object({
    version: z.number().int(),
    thresholds: z.record(z.string(), z.unknown()),
    source: z.enum(['file', 'api']),
    createdBy: z.string(),
    createdAt: z.string(),
    notices: z
      .array(z.string())
      .openapi({ description: 'Knobs in the thresholds that no longer apply, each with what decides instead' }),
  })
  .openapi('ThresholdsVersion');

export const SwitchEventSchema = z
  .object({
    id: z.uuid(),
    specialization: z.string(),
    fromModelId: z.uuid().nullable(),
    toModelId: z.uuid().nullable(),
    action: z.enum(['switch', 'rollback']),
    reason: z.string(),
    stats: z.record(z.string(), z.unknown()).nullable(),
    thresholdsVersion: z.number().int().nullable(),
    workflowId: z.string(),
    idempotencyKey: z.string(),
    undeliverable: z
      .string()
      .nullable()
      .openapi({ description: 'Why RelayCore was not told of the switch ("undeliverable: 400 …"), or null' }),
    createdAt: z.string(),
  })
  .openapi('SwitchEvent');

export const DecisionsSchema = z
  .object({
    specialization: z.string(),
    switchEvents: z.array(SwitchEventSchema),
    watchdog: z.record(z.string(), z.unknown()).nullable().openapi({
      description:
        "The running watchdog's state (its `state` query): streaks, recent windows, last decision; null when none runs",
    }),
  })
  .openapi('Decisions');

export const LimitQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' } }),
});

export const AlertListQuery = LimitQuery.extend({
  status: z
    .enum(['firing', 'acknowledged', 'resolved', 'open'])
    .optional()
    .openapi({ param: { name: 'status', in: 'query' }, description: 'open = firing or acknowledged' }),
  specialization: slug(100)
    .optional()
    .openapi({ param: { name: 'specialization', in: 'query' } }),
  alertClass: z
    .enum(ALERT_CLASSES)
    .optional()
    .openapi({ param: { name: 'alertClass', in: 'query' } }),
  modelId: z
    .uuid()
    .optional()
    .openapi({ param: { name: 'modelId', in: 'query' } }),
});

export const AlertSchema = z
  .object({
    id: z.uuid(),
    fingerprint: z.string(),
    specialization: z.string(),
    modelId: z.uuid().nullable(),
    alertClass: z.enum(ALERT_CLASSES),
    severity: z.enum(['warning', 'critical']),
    status: z.enum(['firing', 'acknowledged', 'resolved']),
    summary: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    count: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    deliveredStatus: z.string().nullable(),
    deliveredAt: z.string().nullable(),
  })
  .openapi('Alert');

export const AlertList = z.object({ items: z.array(AlertSchema) }).openapi('AlertList');

/** Alertmanager's webhook body (version 4); only what NeuroWeaver records is checked. */
export const AlertmanagerWebhook = z
  .object({
    version: z.string().optional(),
    status: z.enum(['firing', 'resolved']),
    alerts: z
      .array(
        z.object({
          status: z.enum(['firing', 'resolved']),
          labels: z.record(z.string(), z.string()),
          annotations: z.record(z.string(), z.string()).default({}),
          startsAt: z.string(),
          endsAt: z.string().optional(),
          generatorURL: z.string().optional(),
          fingerprint: z.string().min(1).max(64),
        }),
      )
      .max(1000),
  })
  .openapi('AlertmanagerWebhook');

export const WatchdogCreateRequest = z.strictObject({ specialization: slug(100) }).openapi('WatchdogCreateRequest');

export const WatchdogSchema = z
  .object({
    specialization: z.string(),
    scheduleId: z.string(),
    workflowId: z.string(),
    paused: z.boolean(),
    running: z.boolean(),
    webUiUrl: z.url(),
    state: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'The `state` query of the running watchdog' }),
  })
  .openapi('Watchdog');

export const WatchdogList = z.object({ items: z.array(WatchdogSchema) }).openapi('WatchdogList');

export const IncidentRequest = z
  .strictObject({
    requests: z.number().int().min(1).max(1_000_000),
    errors: z.number().int().min(0).max(1_000_000),
    reason: z.string().min(1).max(500),
  })
  .refine((i) => i.errors <= i.requests, { message: 'errors cannot exceed requests', path: ['errors'] })
  .openapi('IncidentRequest');

export const WatchdogRollbackRequest = z
  .strictObject({ reason: z.string().min(1).max(500).default('manual rollback') })
  .openapi('WatchdogRollbackRequest');

export const ProbeRequest = z
  .strictObject({
    deploymentId: z.uuid(),
    examples: z.number().int().min(1).max(200).default(20),
  })
  .openapi('ProbeRequest');

export const ProbeResultSchema = z
  .object({
    deploymentId: z.uuid(),
    modelId: z.uuid(),
    requests: z.number().int(),
    errors: z.number().int(),
    latenciesMs: z.array(z.number()),
    labelled: z.number().int().openapi({ description: 'Probes answered (each has a known label)' }),
    correct: z.number().int().openapi({ description: 'Answered probes whose label matched' }),
    accuracy: z.number().nullable(),
    tokens: z.number().int().openapi({ description: 'Tokens the answered probes were charged for' }),
    costDollars: z.number().openapi({ description: "What the answered probes cost at the model's price" }),
  })
  .openapi('ProbeResult');

export const TraceQuery = z.object({
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name: 'since', in: 'query' }, description: 'Default: one hour ago' }),
  windowSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(5)
    .openapi({ param: { name: 'windowSeconds', in: 'query' } }),
});
