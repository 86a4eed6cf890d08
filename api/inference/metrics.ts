import { Counter, Histogram, type Registry } from 'prom-client';

/** Seed 000's inference metrics, on the app's registry (served at /metrics). */
export function createInferenceMetrics(registry: Registry) {
  return {
    inferences: new Counter({
      name: 'neuroweaver_model_inferences_total',
      help: 'Total model inferences',
      labelNames: ['model_id', 'specialization', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'neuroweaver_inference_duration_seconds',
      help: 'Model inference duration',
      labelNames: ['model_id', 'specialization'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    // Seed 003's AI metrics.
    aiRequests: new Counter({
      name: 'ai_requests_total',
      help: 'AI requests served, by specialization and outcome (live traffic and watchdog probes)',
      labelNames: ['specialization', 'status', 'track'] as const,
      registers: [registry],
    }),
    aiModelSelection: new Counter({
      name: 'ai_model_selection_total',
      help: 'Which model the routing chose for a request, by track (stable, canary, probe)',
      labelNames: ['specialization', 'model_id', 'track'] as const,
      registers: [registry],
    }),
    aiResponseTokens: new Histogram({
      name: 'ai_response_tokens',
      help: 'Tokens an answered request was charged for (input + answer, counted with the model tokenizer)',
      labelNames: ['specialization', 'track'] as const,
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers: [registry],
    }),
    aiRequestCost: new Histogram({
      name: 'ai_request_cost_dollars',
      help: "What an answered request cost: its tokens at the serving model's price per 1,000 tokens",
      labelNames: ['specialization', 'track'] as const,
      buckets: [1e-7, 1e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2, 0.1],
      registers: [registry],
    }),
  };
}

export type InferenceMetrics = ReturnType<typeof createInferenceMetrics>;
