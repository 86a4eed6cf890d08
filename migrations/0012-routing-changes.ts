import type { Migration } from './umzug';

/**
 * Every change of what serves a specialization — a canary step, a promotion, a rollback, a
 * watchdog switch — as the routing row it left, written in the transaction that changed it:
 * the history of production (GET /api/v1/specializations/{s}/history).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE TABLE IF NOT EXISTS routing_changes (
      id BIGSERIAL PRIMARY KEY,
      specialization VARCHAR(100) NOT NULL,
      changed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
      stable_deployment_id UUID,
      canary_deployment_id UUID,
      canary_weight INTEGER NOT NULL DEFAULT 0,
      backup_deployment_id UUID,
      failover_from_deployment_id UUID,
      cause VARCHAR(30) NOT NULL,
      reason TEXT NOT NULL,
      deployment_id UUID,
      workflow_id VARCHAR(255),
      decision_key VARCHAR(255)
    );
    CREATE INDEX IF NOT EXISTS idx_routing_changes_specialization ON routing_changes(specialization, id);
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`DROP TABLE IF EXISTS routing_changes;`);
};
