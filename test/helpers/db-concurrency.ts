import { randomBytes } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createDatabase } from '../../db/connection';

export interface ConcurrencyReport {
  reads: number;
  writes: number;
  transactions: number;
  /** A parameterized read that returned a row other than the one it asked for. */
  wrongReads: number;
  /** Acknowledged autocommit writes or committed transactions missing afterwards. */
  lostWrites: number;
  /** Rolled-back rows that are visible afterwards. */
  phantomWrites: number;
  errors: string[];
}

export interface ConcurrencyOptions {
  url: string;
  /** Independent pools, as the API and the worker each hold one. */
  pools: number;
  connectionsPerPool: number;
  /** Operations each client runs (bounded: the run stops by itself). */
  operationsPerClient: number;
}

/**
 * Drives one database from many pools and connections at once, the way an API and a worker do:
 * parameterized reads of rows the client itself wrote, autocommit inserts, and transactions that
 * commit or roll back. Every answer is checked against what was written and every acknowledged write
 * is looked for afterwards. A server that mixes connections' protocol messages shows up as wrong
 * reads, lost writes or phantom rows.
 */
export async function checkConcurrentConnections({
  url,
  pools,
  connectionsPerPool,
  operationsPerClient,
}: ConcurrencyOptions): Promise<ConcurrencyReport> {
  const table = `concurrency_${randomBytes(4).toString('hex')}`;
  const admin = createDatabase({ url, poolMax: 1 });
  await admin.query(`CREATE TABLE ${table} (key text PRIMARY KEY, value text NOT NULL, client int NOT NULL)`);
  const instances = Array.from({ length: pools }, () => createDatabase({ url, poolMax: connectionsPerPool }));
  const report: ConcurrencyReport = {
    reads: 0,
    writes: 0,
    transactions: 0,
    wrongReads: 0,
    lostWrites: 0,
    phantomWrites: 0,
    errors: [],
  };
  const acknowledged = new Map<string, string>();
  const rolledBack = new Set<string>();
  try {
    const clients = instances.flatMap((db, p) =>
      Array.from({ length: connectionsPerPool }, (_, c) => runClient(db, p * connectionsPerPool + c)),
    );
    await Promise.all(clients);
    const rows = await admin.query<{ key: string; value: string }>(`SELECT key, value FROM ${table}`, {
      type: QueryTypes.SELECT,
    });
    const stored = new Map(rows.map((r) => [r.key, r.value]));
    for (const [key, value] of acknowledged) if (stored.get(key) !== value) report.lostWrites++;
    for (const key of rolledBack) if (stored.has(key)) report.phantomWrites++;
    return report;
  } finally {
    await Promise.all(instances.map((db) => db.close()));
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.close();
  }

  async function runClient(db: Sequelize, client: number): Promise<void> {
    for (let i = 0; i < operationsPerClient; i++) {
      const key = `${client}-${i}`;
      const value = randomBytes(8).toString('hex');
      try {
        switch (i % 3) {
          case 0: {
            // Autocommit write, then a parameterized read of exactly that row.
            await db.query(`INSERT INTO ${table} (key, value, client) VALUES ($1, $2, $3)`, {
              bind: [key, value, client],
            });
            acknowledged.set(key, value);
            report.writes++;
            const [row] = await db.query<{ key: string; value: string }>(
              `SELECT key, value FROM ${table} WHERE key = $1`,
              { bind: [key], type: QueryTypes.SELECT },
            );
            report.reads++;
            if (row?.key !== key || row.value !== value) report.wrongReads++;
            break;
          }
          case 1: {
            // A transaction of two rows that commits.
            await db.transaction(async (transaction) => {
              await db.query(`INSERT INTO ${table} (key, value, client) VALUES ($1, $2, $3)`, {
                bind: [key, value, client],
                transaction,
              });
              await db.query(`INSERT INTO ${table} (key, value, client) VALUES ($1, $2, $3)`, {
                bind: [`${key}b`, value, client],
                transaction,
              });
            });
            acknowledged.set(key, value);
            acknowledged.set(`${key}b`, value);
            report.transactions++;
            break;
          }
          default: {
            // A transaction that rolls back: its row must never be seen.
            await db
              .transaction(async (transaction) => {
                await db.query(`INSERT INTO ${table} (key, value, client) VALUES ($1, $2, $3)`, {
                  bind: [key, value, client],
                  transaction,
                });
                throw new RollBack();
              })
              .catch((err) => {
                if (!(err instanceof RollBack)) throw err;
              });
            rolledBack.add(key);
            report.transactions++;
            // And a read by a value only this client knows.
            const rows = await db.query<{ client: number }>(
              `SELECT client FROM ${table} WHERE client = $1 AND key LIKE $2`,
              { bind: [client, `${client}-%`], type: QueryTypes.SELECT },
            );
            report.reads++;
            if (rows.some((r) => r.client !== client)) report.wrongReads++;
          }
        }
      } catch (err) {
        report.errors.push((err as Error).message);
      }
    }
  }
}

class RollBack extends Error {}
