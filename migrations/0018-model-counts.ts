import type { Migration } from './umzug';

/**
 * How many models each (specialization, status) holds, kept by the database as models are
 * inserted, updated and deleted: the registry's page totals read a few rows of it instead of
 * counting the whole table on every request (at 10,000 models the count was ~97 % of a page's
 * query). Exact and transactional: the counts change in the same transaction as the rows.
 *
 * Statement triggers with transition tables add up a statement's changes per key and apply them in
 * key order, so two statements can never take the same count rows in opposite orders (no
 * deadlock). Each statement writes to one of 8 shards, picked at random, so concurrent inserts
 * into one specialization rarely wait on the same row; a total is the sum over the shards.
 */
const SHARDS = 8;

/** When each trigger fires, and the transition tables it hands the function. */
const TRIGGERS = {
  insert: 'AFTER INSERT ON models REFERENCING NEW TABLE AS new_rows',
  update: 'AFTER UPDATE ON models REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows',
  delete: 'AFTER DELETE ON models REFERENCING OLD TABLE AS old_rows',
  truncate: 'AFTER TRUNCATE ON models',
};

export const up: Migration = async ({ context: sql }) => {
  await sql.query(`LOCK TABLE models IN SHARE ROW EXCLUSIVE MODE;`);
  await sql.query(`
    CREATE TABLE IF NOT EXISTS model_counts (
      specialization VARCHAR(100) NOT NULL,
      status VARCHAR(50) NOT NULL,
      shard SMALLINT NOT NULL,
      n BIGINT NOT NULL,
      PRIMARY KEY (specialization, status, shard)
    );`);
  await sql.query(`
    CREATE OR REPLACE FUNCTION model_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      pick SMALLINT := floor(random() * ${SHARDS})::SMALLINT;
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM model_counts;
      ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO model_counts AS c (specialization, status, shard, n)
          SELECT specialization, status, pick, count(*) FROM new_rows
          GROUP BY specialization, status ORDER BY specialization, status
        ON CONFLICT (specialization, status, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
      ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO model_counts AS c (specialization, status, shard, n)
          SELECT specialization, status, pick, -count(*) FROM old_rows
          GROUP BY specialization, status ORDER BY specialization, status
        ON CONFLICT (specialization, status, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
      ELSE
        -- Most updates change neither column: their changes add up to nothing and touch no count.
        INSERT INTO model_counts AS c (specialization, status, shard, n)
          SELECT specialization, status, pick, sum(delta) FROM (
            SELECT specialization, status, 1 AS delta FROM new_rows
            UNION ALL SELECT specialization, status, -1 FROM old_rows
          ) changes
          GROUP BY specialization, status HAVING sum(delta) <> 0 ORDER BY specialization, status
        ON CONFLICT (specialization, status, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
      END IF;
      RETURN NULL;
    END $$;`);
  for (const [name, when] of Object.entries(TRIGGERS)) {
    await sql.query(`DROP TRIGGER IF EXISTS model_counts_${name} ON models;`);
    await sql.query(
      `CREATE TRIGGER model_counts_${name} ${when} FOR EACH STATEMENT EXECUTE FUNCTION model_counts_apply();`,
    );
  }
  // The models already there, counted once. The migration is one transaction (umzug.ts), and the
  // lock taken first holds writers off from before the triggers exist until the counts are in.
  await sql.query(`DELETE FROM model_counts;`);
  await sql.query(
    `INSERT INTO model_counts (specialization, status, shard, n)
       SELECT specialization, status, 0, count(*) FROM models GROUP BY specialization, status;`,
  );
};

export const down: Migration = async ({ context: sql }) => {
  for (const name of Object.keys(TRIGGERS)) await sql.query(`DROP TRIGGER IF EXISTS model_counts_${name} ON models;`);
  await sql.query(`DROP FUNCTION IF EXISTS model_counts_apply();`);
  await sql.query(`DROP TABLE IF EXISTS model_counts;`);
};
