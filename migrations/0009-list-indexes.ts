import type { Migration } from './umzug';

/**
 * Indexes for the pages the API serves most: the registry listed newest first (all, or one
 * specialization), and the revocation list's poll for recent rows. Without them every page of
 * GET /models sorts the whole table.
 */
const indexes = [
  'idx_models_created ON models(created_at DESC, id)',
  'idx_models_specialization_created ON models(specialization, created_at DESC, id)',
  'idx_revoked_tokens_revoked_at ON revoked_tokens(revoked_at)',
];

export const up: Migration = async ({ context: sql }) => {
  for (const index of indexes) await sql.query(`CREATE INDEX IF NOT EXISTS ${index}`);
};

export const down: Migration = async ({ context: sql }) => {
  for (const index of indexes) await sql.query(`DROP INDEX IF EXISTS ${index.split(' ')[0]}`);
};
