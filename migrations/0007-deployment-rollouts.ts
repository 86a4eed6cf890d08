import type { Migration } from './umzug';

/**
 * What progressive rollouts need on deployments: the specialization they serve, the workflow that
 * runs them, every step's decision with its numbers, and why they ended as they did.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    ALTER TABLE deployments
      ADD COLUMN IF NOT EXISTS specialization VARCHAR(100),
      ADD COLUMN IF NOT EXISTS workflow_id VARCHAR(255),
      ADD COLUMN IF NOT EXISTS decisions JSONB NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN IF NOT EXISTS reason TEXT,
      ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW();
    CREATE INDEX IF NOT EXISTS idx_deployments_workflow_id ON deployments(workflow_id);
    CREATE INDEX IF NOT EXISTS idx_deployments_specialization ON deployments(specialization, created_at DESC);
    CREATE INDEX IF NOT EXISTS idx_performance_metrics_deployment_time ON performance_metrics(deployment_id, timestamp DESC);
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP INDEX IF EXISTS idx_performance_metrics_deployment_time;
    DROP INDEX IF EXISTS idx_deployments_specialization;
    DROP INDEX IF EXISTS idx_deployments_workflow_id;
    ALTER TABLE deployments
      DROP COLUMN IF EXISTS updated_at,
      DROP COLUMN IF EXISTS reason,
      DROP COLUMN IF EXISTS decisions,
      DROP COLUMN IF EXISTS workflow_id,
      DROP COLUMN IF EXISTS specialization;
  `);
};
