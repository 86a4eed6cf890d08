import type { Migration } from './umzug';

/**
 * What the training pipeline needs on training_jobs: the Idempotency-Key a client sent (one job per
 * key), the workflow that runs it, and the specialization and trainer for filtering.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    ALTER TABLE training_jobs
      ADD COLUMN IF NOT EXISTS idempotency_key VARCHAR(255),
      ADD COLUMN IF NOT EXISTS workflow_id VARCHAR(255),
      ADD COLUMN IF NOT EXISTS specialization VARCHAR(100),
      ADD COLUMN IF NOT EXISTS trainer VARCHAR(50),
      ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW();
    CREATE UNIQUE INDEX IF NOT EXISTS idx_training_jobs_idempotency_key ON training_jobs(created_by, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX IF NOT EXISTS idx_training_jobs_specialization ON training_jobs(specialization);
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP INDEX IF EXISTS idx_training_jobs_specialization;
    DROP INDEX IF EXISTS idx_training_jobs_idempotency_key;
    ALTER TABLE training_jobs
      DROP COLUMN IF EXISTS updated_at,
      DROP COLUMN IF EXISTS trainer,
      DROP COLUMN IF EXISTS specialization,
      DROP COLUMN IF EXISTS workflow_id,
      DROP COLUMN IF EXISTS idempotency_key;
  `);
};
