import { indexMigration } from './indexes';

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

export const { up, down } = indexMigration(indexes);
