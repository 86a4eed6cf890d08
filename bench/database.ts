import { Client } from 'pg';
import type { Sequelize } from 'sequelize';
import { signToken } from '../auth/token';
import { createDatabase } from '../db/connection';
import { createMigrator } from '../migrations/umzug';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { createServerDatabase, createTestDatabase } from '../support/throwaway-database';
import { runLoadProcess } from './load-process';
import { BENCH_SECRET, startBenchStack } from './stack';
import { load, summarize, type Summary } from './stats';

export interface DatabaseBench {
  /** Registry operations per second at 16 concurrent, per server. */
  servers: { name: string; insertsPerSecond: Summary; readsPerSecond: Summary }[];
  /** GET /api/v1/models?limit=20 at a fixed arrival rate with a large registry. */
  registryList: { models: number; ratePerSecond: number; p50: Summary; p99: Summary; failed: number };
}

/** The machine's PostgreSQL, when one answers: the comparison row for the embedded server. */
const MACHINE_POSTGRES = process.env.BENCH_SERVER_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * The data path: registry inserts and parameterized reads per second on the embedded PostgreSQL
 * beside the machine's PostgreSQL (same schema, same client), and the registry's first page served
 * over HTTP at a fixed 500 requests/s with 10,000 models registered (an open loop: requests arrive on
 * schedule whether or not earlier ones have answered, so a slow server shows as latency, not as a
 * politely lower rate).
 */
export async function benchDatabase({
  rounds = 3,
  operations = 2_000,
  concurrency = 16,
  models = 10_000,
  ratePerSecond = 500,
  seconds = 10,
} = {}): Promise<DatabaseBench> {
  const servers: DatabaseBench['servers'] = [];
  const embedded = await createTestDatabase();
  try {
    servers.push({
      name: 'embedded PostgreSQL (npm start)',
      ...(await registryThroughput(embedded.url, rounds, operations, concurrency)),
    });
  } finally {
    await embedded.drop();
  }
  if (await reachable(MACHINE_POSTGRES)) {
    const onServer = await createServerDatabase(MACHINE_POSTGRES);
    try {
      servers.push({
        name: "the machine's PostgreSQL (Debian package)",
        ...(await registryThroughput(onServer.url, rounds, operations, concurrency)),
      });
    } finally {
      await onServer.drop();
    }
  }
  return { servers, registryList: await registryListAtRate({ rounds, models, ratePerSecond, seconds }) };
}

async function registryThroughput(url: string, rounds: number, operations: number, concurrency: number) {
  const sequelize = createDatabase({ url, poolMax: concurrency });
  const inserts: number[] = [];
  const reads: number[] = [];
  try {
    await createMigrator(sequelize).up();
    for (let round = 0; round < rounds; round++) {
      const ids: string[] = [];
      const wrote = await load(operations, concurrency, async (i) => {
        const [rows] = await sequelize.query(
          "INSERT INTO models (id, name, specialization, base_model, version, status, created_at, updated_at) VALUES (gen_random_uuid(), $1, 'bench', 'bench', $2, 'registered', now(), now()) RETURNING id",
          { bind: [`bench-${round}`, String(i)] },
        );
        ids.push((rows as { id: string }[])[0].id);
      });
      const read = await load(operations, concurrency, async (i) => {
        await sequelize.query('SELECT * FROM models WHERE id = $1', { bind: [ids[i % ids.length]] });
      });
      inserts.push(wrote.perSecond);
      reads.push(read.perSecond);
    }
    return { insertsPerSecond: summarize(inserts), readsPerSecond: summarize(reads) };
  } finally {
    await sequelize.close();
  }
}

/**
 * The registry's first page at a fixed arrival rate, the way it is served: the API as its own
 * process (`npm run api`), the load from another, so neither's collector pauses land in the other's
 * figures (both in this process made the p99 swing 9–299 ms with this process's heap).
 */
async function registryListAtRate({
  rounds,
  models,
  ratePerSecond,
  seconds,
}: {
  rounds: number;
  models: number;
  ratePerSecond: number;
  seconds: number;
}) {
  const { config, sequelize, close } = await startBenchStack();
  let api: ApiProcess | undefined;
  try {
    await registerModels(sequelize, models);
    api = await startApiProcess(config, BENCH_SECRET);
    const args = {
      url: `${api.url}/api/v1/models?limit=20`,
      headers: {
        authorization: `Bearer ${signToken(BENCH_SECRET, { sub: 'bench', level: 'read', ttlSeconds: 3600 })}`,
      },
      rate: ratePerSecond,
      seconds,
      rounds,
    };
    const results = await runLoadProcess<{ p50: number; p99: number; failed: number }>('open-loop.ts', args);
    return {
      models,
      ratePerSecond,
      p50: summarize(results.map((r) => r.p50)),
      p99: summarize(results.map((r) => r.p99)),
      failed: results.reduce((sum, r) => sum + r.failed, 0),
    };
  } finally {
    await api?.kill('SIGTERM');
    await close();
  }
}

/** Registry rows in one statement: the bench measures reading them, not writing them. */
export async function registerModels(sequelize: Sequelize, count: number): Promise<void> {
  await sequelize.query(
    `INSERT INTO models (id, name, specialization, base_model, version, status, created_at, updated_at, config, performance_metrics)
     SELECT gen_random_uuid(), 'bench-model-' || (n % 500), 'spec-' || (n % 20), 'builtin-softmax', (n / 500)::text, 'registered',
            now() - n * interval '1 second', now(), '{"epochs": 4}'::jsonb, '{"accuracy": 0.9}'::jsonb
     FROM generate_series(1, $1::int) AS n`,
    { bind: [count] },
  );
  await sequelize.query('ANALYZE models');
}

async function reachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
