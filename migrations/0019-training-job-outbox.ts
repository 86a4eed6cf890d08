import type { Migration } from './umzug';

/**
 * The training job's row is the outbox of its workflow's start: the API commits the job with the
 * task queue and input its workflow is started with (`workflow_start`); `workflow_started_at` says when
 * Temporal took the start. A row still without it is started by the API's dispatcher, however the
 * request that made it ended (Temporal slow or down, the process gone). Jobs made before this ran
 * were started by their request, so they count as started when they were made.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    ALTER TABLE training_jobs
      ADD COLUMN IF NOT EXISTS workflow_start JSONB,
      ADD COLUMN IF NOT EXISTS workflow_started_at TIMESTAMPTZ;
    UPDATE training_jobs SET workflow_started_at = created_at WHERE workflow_started_at IS NULL;
    CREATE INDEX IF NOT EXISTS idx_training_jobs_awaiting_start ON training_jobs(created_at)
      WHERE workflow_started_at IS NULL AND status = 'pending';
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP INDEX IF EXISTS idx_training_jobs_awaiting_start;
    ALTER TABLE training_jobs
      DROP COLUMN IF EXISTS workflow_started_at,
      DROP COLUMN IF EXISTS workflow_start;
  `);
};
