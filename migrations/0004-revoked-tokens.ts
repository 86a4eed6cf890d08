import type { Migration } from './umzug';

/** Revocation by (sub, iat), as the unified JWT of seed 002 prescribes. */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE TABLE IF NOT EXISTS revoked_tokens (
      sub VARCHAR(255) NOT NULL,
      iat BIGINT NOT NULL,
      revoked_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      revoked_by VARCHAR(255),
      reason TEXT,
      PRIMARY KEY (sub, iat)
    );
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS revoked_tokens;');
};
