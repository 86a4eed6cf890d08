import type { Migration } from './umzug';

/**
 * Per-subject rate limits shared by every API replica: how much of a limit's minute is used,
 * per key (class and subject) and minute. Replicas lease slices of it (api/rate-limits.ts).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE TABLE IF NOT EXISTS rate_limit_windows (
      key VARCHAR(400) NOT NULL,
      window_start TIMESTAMPTZ NOT NULL,
      used INTEGER NOT NULL,
      PRIMARY KEY (key, window_start)
    );`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`DROP TABLE IF EXISTS rate_limit_windows;`);
};
