import type { Migration } from './umzug';

/** The last artifact validation of a model (the validateModel workflow's result). */
export const up: Migration = async ({ context: sql }) => {
  await sql.query('ALTER TABLE models ADD COLUMN IF NOT EXISTS validation JSONB;');
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('ALTER TABLE models DROP COLUMN IF EXISTS validation;');
};
