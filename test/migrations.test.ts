import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { createDatabase } from '../db/connection';
import { modelsOf } from '../db/models';
import { assertSchemaCurrent, createMigrator, SchemaBehindError } from '../migrations/umzug';
import { startEmbeddedPostgresProcess } from '../support/embedded-postgres-process';
import { createServerDatabase } from '../support/throwaway-database';

const TABLES = [
  'deployments',
  'model_counts',
  'model_switch_events',
  'models',
  'performance_alerts',
  'performance_metrics',
  'rate_limit_windows',
  'revoked_tokens',
  'routing',
  'routing_changes',
  'training_jobs',
  'watchdog_thresholds',
  'watchdog_windows',
];

async function tables(sequelize: Sequelize): Promise<string[]> {
  const [rows] = await sequelize.query(
    "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY 1",
  );
  return (rows as { name: string }[]).map((r) => r.name);
}

async function indexes(sequelize: Sequelize): Promise<string[]> {
  const [rows] = await sequelize.query(
    "SELECT indexname::text AS name FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx_%' ORDER BY 1",
  );
  return (rows as { name: string }[]).map((r) => r.name);
}

/** up → down to zero → up again, each step idempotent, on whichever PostgreSQL `url` points at. */
async function migrateRoundTrip(url: string) {
  const sequelize = createDatabase({ url, poolMax: 2 });
  try {
    const migrator = createMigrator(sequelize);
    await expect(assertSchemaCurrent(sequelize)).rejects.toBeInstanceOf(SchemaBehindError);
    expect((await migrator.up()).length).toBe(20);
    expect(await migrator.up()).toEqual([]);
    expect(await tables(sequelize)).toEqual(TABLES);
    expect(await indexes(sequelize)).toEqual(
      expect.arrayContaining([
        'idx_models_specialization',
        'idx_models_created',
        'idx_performance_metrics_timestamp',
        'idx_performance_alerts_open_fingerprint',
        'idx_model_switch_events_to_model',
      ]),
    );
    await assertSchemaCurrent(sequelize);

    await migrator.down({ step: 1 });
    await expect(assertSchemaCurrent(sequelize)).rejects.toThrow(/pending: 0020-models-change-notice/);
    await migrator.down({ step: 1 });
    await expect(assertSchemaCurrent(sequelize)).rejects.toThrow(/pending: 0019-training-job-outbox/);
    // A job made before the outbox was started by its request: it is not started again.
    await sequelize.query(
      `INSERT INTO training_jobs (id, name, status, training_config, created_at)
         VALUES (gen_random_uuid(), 'before-outbox', 'pending', '{}', now() - interval '1 hour')`,
    );
    await migrator.up();
    const [[old]] = (await sequelize.query(
      `SELECT workflow_started_at = created_at AS started FROM training_jobs WHERE name = 'before-outbox'`,
    )) as [{ started: boolean }[], unknown];
    expect(old.started).toBe(true);

    await migrator.down({ step: 3 });
    await expect(assertSchemaCurrent(sequelize)).rejects.toThrow(/pending: 0018-model-counts/);
    // Models already there when the counts arrive are counted once.
    await sequelize.query(
      `INSERT INTO models (id, name, specialization, base_model, version, status, created_at, updated_at)
         SELECT gen_random_uuid(), 'before-' || i, 'counted', 'b', '1', 'registered', now(), now() FROM generate_series(1, 3) i`,
    );
    await migrator.up();
    const [[counts]] = (await sequelize.query(
      `SELECT sum(n)::int AS n FROM model_counts WHERE specialization = 'counted'`,
    )) as [{ n: number }[], unknown];
    expect(counts.n).toBe(3);
    await migrator.down({ to: 0 });
    expect(await tables(sequelize)).toEqual([]);
    expect(await migrator.down({ to: 0 })).toEqual([]);

    await migrator.up();
    expect(await tables(sequelize)).toEqual(TABLES);
    // The (name, version) rule of the registry lives in the schema itself.
    const row = {
      name: 'm',
      specialization: 's',
      baseModel: 'b',
      version: '1',
      description: null,
      createdBy: null,
      modelPath: null,
      config: null,
      performanceMetrics: null,
      deploymentConfig: null,
    };
    await modelsOf(sequelize).ModelRecord.create(row);
    await expect(modelsOf(sequelize).ModelRecord.create(row)).rejects.toThrow();
  } finally {
    await sequelize.close();
  }
}

describe('migrations', () => {
  it('run up, down and up again on a fresh database of the test server (embedded, or TEST_DATABASE_ADMIN_URL)', async () => {
    const db = await createServerDatabase(process.env.NW_TEST_DATABASE_URL!);
    try {
      await migrateRoundTrip(db.url);
    } finally {
      await db.drop();
    }
  });

  it('run on a new embedded server, and its data survives a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-embedded-pg-'));
    try {
      const first = await startEmbeddedPostgresProcess(dataDir);
      try {
        await migrateRoundTrip(first.url);
      } finally {
        await first.stop();
      }
      const second = await startEmbeddedPostgresProcess(dataDir);
      const sequelize = createDatabase({ url: second.url, poolMax: 1 });
      try {
        await assertSchemaCurrent(sequelize);
        expect(await modelsOf(sequelize).ModelRecord.count()).toBe(1);
      } finally {
        await sequelize.close();
        await second.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
