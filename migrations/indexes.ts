import type { Migration } from './umzug';

/**
 * A migration that only adds indexes ("name ON table(columns)"), each IF NOT EXISTS, and drops them
 * again on the way down: index creation kept apart from the tables they serve.
 */
export function indexMigration(indexes: string[]): { up: Migration; down: Migration } {
  return {
    up: async ({ context: sql }) => {
      for (const index of indexes) await sql.query(`CREATE INDEX IF NOT EXISTS ${index}`);
    },
    down: async ({ context: sql }) => {
      for (const index of indexes) await sql.query(`DROP INDEX IF EXISTS ${index.split(' ')[0]}`);
    },
  };
}
