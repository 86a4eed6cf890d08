import type { Registry } from 'prom-client';
import type { ServingStore } from '../../db/stores/serving';
import type { Logger } from '../../config/logger';
import { PerformanceMetricWriter } from './metric-writer';
import { createInferenceMetrics } from './metrics';
import type { Track } from './router';
import type { Usage } from './usage';
import { RollingWindows, type ServingWindowStats } from './windows';

export interface InferenceOutcome {
  specialization: string;
  deploymentId: string;
  modelId: string;
  track: Track;
  requestId: string;
  latencyMs: number;
  ok: boolean;
  /** Tokens and cost of an answered request; a failed one is not charged. */
  usage?: Usage;
}

/** The `performance_metrics` row type of one request; deployment analyses query exactly this. */
export const INFERENCE_METRIC_TYPE = 'inference_latency_ms';

/**
 * Where every served request is counted, three ways: in-memory windows per deployment (for code in
 * this process), Prometheus (for dashboards and alerts), and `performance_metrics` rows in batches
 * (for the deployment analyses and watchdogs, which compute error rate and p95 in SQL).
 */
export class InferenceRecorder {
  private readonly windows = new RollingWindows();
  private readonly metrics;
  private readonly writer: PerformanceMetricWriter;
  private recorded = 0;

  constructor(deps: { registry: Registry; serving: ServingStore; logger: Logger }) {
    this.metrics = createInferenceMetrics(deps.registry);
    this.writer = new PerformanceMetricWriter({ serving: deps.serving, logger: deps.logger });
  }

  record(o: InferenceOutcome): void {
    this.windows.record(o.deploymentId, o.latencyMs, o.ok);
    if (++this.recorded % 1_000 === 0) this.windows.prune();
    this.metrics.inferences.inc({
      model_id: o.modelId,
      specialization: o.specialization,
      status: o.ok ? 'success' : 'error',
    });
    this.metrics.duration.observe({ model_id: o.modelId, specialization: o.specialization }, o.latencyMs / 1_000);
    this.metrics.aiRequests.inc({
      specialization: o.specialization,
      status: o.ok ? 'success' : 'error',
      track: o.track,
    });
    this.metrics.aiModelSelection.inc({ specialization: o.specialization, model_id: o.modelId, track: o.track });
    if (o.usage) {
      this.metrics.aiResponseTokens.observe(
        { specialization: o.specialization, track: o.track },
        o.usage.inputTokens + o.usage.outputTokens,
      );
      this.metrics.aiRequestCost.observe({ specialization: o.specialization, track: o.track }, o.usage.costDollars);
    }
    this.writer.push({
      modelId: o.modelId,
      deploymentId: o.deploymentId,
      metricType: INFERENCE_METRIC_TYPE,
      metricValue: o.latencyMs,
      timestamp: new Date(),
      metadata: {
        ok: o.ok,
        specialization: o.specialization,
        requestId: o.requestId,
        track: o.track,
        ...(o.usage && { tokens: o.usage.inputTokens + o.usage.outputTokens, costDollars: o.usage.costDollars }),
      },
    });
  }

  getWindowStats(deploymentId: string, windowSeconds: number): ServingWindowStats {
    return this.windows.getWindowStats(deploymentId, windowSeconds);
  }

  /** Writes the rows buffered so far (tests call this instead of waiting for the next batch). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Writes the last rows, retrying until `deadline` (epoch ms) while the database does not take them. */
  close(deadline?: number): Promise<void> {
    return this.writer.close(deadline);
  }
}
