import { indexMigration } from './indexes';

/** Seed 000's indexes, kept apart from the tables they serve. */
const indexes = [
  'idx_models_specialization ON models(specialization)',
  'idx_models_status ON models(status)',
  'idx_training_jobs_status ON training_jobs(status)',
  'idx_training_jobs_model ON training_jobs(model_id)',
  'idx_deployments_status ON deployments(status)',
  'idx_deployments_model ON deployments(model_id)',
  'idx_performance_metrics_model ON performance_metrics(model_id)',
  'idx_performance_metrics_timestamp ON performance_metrics(timestamp DESC)',
];

export const { up, down } = indexMigration(indexes);
