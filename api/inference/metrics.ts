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
  };
}

export type InferenceMetrics = ReturnType<typeof createInferenceMetrics>;
