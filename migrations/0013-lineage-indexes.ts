import { indexMigration } from './indexes';

/** A model's lineage (GET /api/v1/models/{id}/lineage) reads its switch events and alerts by model. */
const indexes = [
  'idx_model_switch_events_from_model ON model_switch_events(from_model_id, created_at DESC)',
  'idx_model_switch_events_to_model ON model_switch_events(to_model_id, created_at DESC)',
  'idx_performance_alerts_model ON performance_alerts(model_id, last_seen DESC)',
];

export const { up, down } = indexMigration(indexes);
