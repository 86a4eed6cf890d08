import type { Migration } from './umzug';

/**
 * The training job's row is the outbox of its workflow's start: the API commits the job with the
 * task queue and input its workflow is started with (`workflow_start`); `workflow_started_at` says
 * when Temporal took the start. Until then `start_not_before` keeps other API processes off it: the
 * process that holds it (it made the job, or claimed it) is sending it, or a failed start waits out
 * its back-off (`start_attempts` so far). A row still without a start past that time is claimed by
 * any API process's dispatcher, however the request that made it ended (Temporal slow or down, the
 * process gone). Jobs made before this ran were started by their request (a keyed one left pending
 * gets its start from the client's retry), so they count as started when they were made.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    ALTER TABLE training_jobs
      ADD COLUMN IF NOT EXISTS workflow_start JSONB,
      ADD COLUMN IF NOT EXISTS workflow_started_at TIMESTAMPTZ,
      ADD COLUMN IF NOT EXISTS start_not_before TIMESTAMPTZ,
      ADD COLUMN IF NOT EXISTS start_attempts INTEGER NOT NULL DEFAULT 0;
    UPDATE training_jobs SET workflow_started_at = created_at WHERE workflow_started_at IS NULL;
    CREATE INDEX IF NOT EXISTS idx_training_jobs_awaiting_start ON training_jobs(created_at)
      WHERE workflow_started_at IS NULL AND status = 'pending';
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP INDEX IF EXISTS idx_training_jobs_awaiting_start;
    ALTER TABLE training_jobs
      DROP COLUMN IF EXISTS start_attempts,
      DROP COLUMN IF EXISTS start_not_before,
      DROP COLUMN IF EXISTS workflow_started_at,
      DROP COLUMN IF EXISTS workflow_start;
  `);
};
