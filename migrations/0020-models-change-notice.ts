import type { Migration } from './umzug';

/** The channel every change to `models` is announced on (db/stores/model-pages.ts holds pages while it hears it). */
export const MODELS_CHANGED_CHANNEL = 'nw_models_changed';

/**
 * Every statement that changes `models` (any process, any code path, psql included) notifies
 * `nw_models_changed` when its transaction commits, so an API process that keeps registry pages in
 * memory drops them then. One notice per statement, empty: PostgreSQL folds a transaction's
 * identical notices into one, and a listener only needs to know that something changed.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE OR REPLACE FUNCTION models_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('${MODELS_CHANGED_CHANNEL}', '');
      RETURN NULL;
    END $$;
    DROP TRIGGER IF EXISTS models_changed_notify ON models;
    CREATE TRIGGER models_changed_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON models
      FOR EACH STATEMENT EXECUTE FUNCTION models_changed_notify();
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP TRIGGER IF EXISTS models_changed_notify ON models;
    DROP FUNCTION IF EXISTS models_changed_notify();
  `);
};
