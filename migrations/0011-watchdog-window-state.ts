import type { Migration } from './umzug';

/**
 * The watchdog's streaks, serving side and cooldown after each judged window: what a watchdog
 * recreated from scratch (not continued as new) resumes from instead of a clean slate.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE watchdog_windows ADD COLUMN IF NOT EXISTS state JSONB;`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE watchdog_windows DROP COLUMN IF EXISTS state;`);
};
