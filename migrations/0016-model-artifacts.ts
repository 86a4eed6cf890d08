import type { Migration } from './umzug';

/**
 * What the registry knows of a model's bytes: their SHA-256 and size, recorded by an upload or a
 * training job (absent for a model registered by a path only). Caches name copies by the digest.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE models ADD COLUMN IF NOT EXISTS artifact_sha256 VARCHAR(64);`);
  await sql.query(`ALTER TABLE models ADD COLUMN IF NOT EXISTS artifact_size_bytes BIGINT;`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE models DROP COLUMN IF EXISTS artifact_size_bytes;`);
  await sql.query(`ALTER TABLE models DROP COLUMN IF EXISTS artifact_sha256;`);
};
