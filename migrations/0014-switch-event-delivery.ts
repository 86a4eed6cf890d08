import type { Migration } from './umzug';

/**
 * A switch RelayCore refused (a 4xx, not retried) says so on its own row: the routing changed here,
 * but RelayCore still routes to the old model until someone acts.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE model_switch_events ADD COLUMN IF NOT EXISTS undeliverable TEXT;`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE model_switch_events DROP COLUMN IF EXISTS undeliverable;`);
};
