import type { Migration } from './umzug';

/**
 * A revocation of every token of a subject (a leaked credential, someone who left): the row's
 * `iat` is then the cut-off, and every token of that subject issued at or before it is refused.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE revoked_tokens ADD COLUMN IF NOT EXISTS every_token BOOLEAN NOT NULL DEFAULT false;`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE revoked_tokens DROP COLUMN IF EXISTS every_token;`);
};
