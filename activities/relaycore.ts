import { createHash } from 'node:crypto';
import { asyncLocalStorage } from '@temporalio/activity';
import { FailureType, RELAYCORE_RETRY } from '../workflows/failures';
import { deliverJson } from './http-delivery';
import { ANNOUNCED_COST_PER_1K_TOKENS } from '../config/pricing';

/**
 * The RelayCore connector (ARCHITECTURE.md, "RelayCore contract"; register payload from seed 000).
 * Each activity makes one HTTP call with a timeout and classifies the answer for Temporal:
 * 2xx → result; 4xx → non-retryable `RelayCoreRejected`; 5xx, timeouts, refused or dropped
 * connections → a plain Error, which the activity's retry policy (RELAYCORE_RETRY) retries for as
 * long as it takes. Every call carries an Idempotency-Key (the caller's workflow ID + step) and a
 * W3C traceparent.
 */

/** Workflows proxy these activities with `retry: RELAYCORE_RETRY` (and a startToCloseTimeout above timeoutMs). */
export { RELAYCORE_RETRY };

export const RELAYCORE_DEFAULT_TIMEOUT_MS = 10_000;

export const RELAYCORE_SERVICE_ID = 'neuroweaver-backend';

export const RELAYCORE_SPECIALIZATIONS = [
  { name: 'automotive-sales', description: 'Specialized for automotive sales conversations', avgLatencyMs: 1200 },
  { name: 'service-advisor', description: 'Specialized for service department interactions', avgLatencyMs: 1100 },
  { name: 'parts-specialist', description: 'Specialized for parts department queries', avgLatencyMs: 1000 },
] as const;

export interface RelayCoreDeps {
  /** RELAYCORE_URL; undefined → every activity returns `{status: 0, skipped: true}` without calling. */
  relaycoreUrl: string | undefined;
  /** NeuroWeaver's own base URL as RelayCore should call it (the `url` it registers). */
  serviceUrl: string;
  /** Per-call timeout; default RELAYCORE_DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface RelayCoreResult {
  /** HTTP status; 0 when skipped. */
  status: number;
  body?: unknown;
  /** RELAYCORE_URL is not set: nothing was sent. */
  skipped?: true;
}

export interface NotifyModelDeployedInput {
  modelId: string;
  specialization: string;
  deploymentId: string;
  version: string;
  idempotencyKey: string;
}

export interface ReportModelPerformanceInput {
  modelId: string;
  metrics: Record<string, unknown>;
  idempotencyKey: string;
}

export interface UpdateRelayCoreRouteInput {
  specialization: string;
  modelId: string;
  reason: string;
  idempotencyKey: string;
}

/** The registration body of seed 000, with `url` = where this NeuroWeaver answers. */
export function relayCoreRegistration(serviceUrl: string) {
  return {
    service_id: RELAYCORE_SERVICE_ID,
    name: 'NeuroWeaver Backend',
    type: 'model_service',
    url: serviceUrl,
    health_check: '/health',
    capabilities: ['automotive_specialization', 'model_training', 'model_deployment', 'inference_serving'],
    specializations: RELAYCORE_SPECIALIZATIONS.map((s) => ({
      name: s.name,
      description: s.description,
      endpoint: `/api/v1/inference/${s.name}`,
      cost_per_1k_tokens: ANNOUNCED_COST_PER_1K_TOKENS,
      avg_latency_ms: s.avgLatencyMs,
    })),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A fallback W3C trace context for a call made outside any trace (no tracing in this process):
 * the trace-id comes from the idempotency key (every attempt of one delivery is one trace), the
 * span-id from key + attempt. With tracing (config/tracing.ts) the active span's context replaces it.
 */
export function traceparentFor(idempotencyKey: string, attempt: number): string {
  const traceId = sha256(idempotencyKey).slice(0, 32);
  const spanId = sha256(`${idempotencyKey}#${attempt}`).slice(0, 16);
  // All-zero ids are invalid in W3C trace context (astronomically unlikely from sha256).
  return `00-${/^0+$/.test(traceId) ? '1'.padStart(32, '0') : traceId}-${/^0+$/.test(spanId) ? '1'.padStart(16, '0') : spanId}-01`;
}

/** The activity attempt (1-based) when running as an activity; 1 when called directly. */
function currentAttempt(): number {
  return asyncLocalStorage.getStore()?.info.attempt ?? 1;
}

export function createRelayCoreActivities({
  relaycoreUrl,
  serviceUrl,
  timeoutMs = RELAYCORE_DEFAULT_TIMEOUT_MS,
}: RelayCoreDeps) {
  const base = relaycoreUrl?.replace(/\/+$/, '');

  async function call(
    method: 'POST' | 'PUT',
    path: string,
    body: unknown,
    idempotencyKey: string,
  ): Promise<RelayCoreResult> {
    if (base === undefined) return { status: 0, skipped: true };
    const headers = {
      'idempotency-key': idempotencyKey,
      traceparent: traceparentFor(idempotencyKey, currentAttempt()),
    };
    return deliverJson({
      receiver: 'RelayCore',
      method,
      url: `${base}${path}`,
      body,
      headers,
      timeoutMs,
      rejectedType: FailureType.RelayCoreRejected,
    });
  }

  const id = encodeURIComponent;
  const registration = relayCoreRegistration(serviceUrl);
  // Stable across restarts for the same payload; a release that changes what it registers
  // (specializations, capabilities) gets a new key, so a deduplicating RelayCore still sees it.
  const registrationKey = `register:${serviceUrl}:${sha256(JSON.stringify(registration)).slice(0, 12)}`;

  return {
    /** POST /api/services/register (201): announces NeuroWeaver and its specializations. */
    async registerWithRelayCore(): Promise<RelayCoreResult> {
      return call('POST', '/api/services/register', registration, registrationKey);
    },

    /** POST /api/models/{id}/deployed: a deployment of the model went live. */
    async notifyModelDeployed({
      modelId,
      specialization,
      deploymentId,
      version,
      idempotencyKey,
    }: NotifyModelDeployedInput): Promise<RelayCoreResult> {
      return call(
        'POST',
        `/api/models/${id(modelId)}/deployed`,
        { modelId, specialization, deploymentId, version },
        idempotencyKey,
      );
    },

    /** PUT /api/models/{id}/performance: the metrics object as the body (seed 000). */
    async reportModelPerformance({
      modelId,
      metrics,
      idempotencyKey,
    }: ReportModelPerformanceInput): Promise<RelayCoreResult> {
      return call('PUT', `/api/models/${id(modelId)}/performance`, metrics, idempotencyKey);
    },

    /** PUT /api/routes/{specialization} {modelId, reason}: our addition, for switches and rollbacks. */
    async updateRelayCoreRoute({
      specialization,
      modelId,
      reason,
      idempotencyKey,
    }: UpdateRelayCoreRouteInput): Promise<RelayCoreResult> {
      return call('PUT', `/api/routes/${id(specialization)}`, { modelId, reason }, idempotencyKey);
    },
  };
}

export type RelayCoreActivities = ReturnType<typeof createRelayCoreActivities>;
