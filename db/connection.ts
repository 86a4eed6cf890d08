import { Sequelize } from 'sequelize';
import type { Config } from '../config/env';
import { embeddedDatabaseUrl } from './embedded';
import { initModels } from './models';

export interface DatabaseOptions {
  url: string;
  poolMax?: number;
  /**
   * The longest one statement may run on the server (`statement_timeout`); the client gives up a few
   * seconds later (`query_timeout`) even when the server never answers, so a hung query cannot hold a
   * pool slot forever.
   */
  statementTimeoutMs?: number;
}

/** A request's budget: above the slowest legitimate query a request makes (migrations get their own); see NW_DB_STATEMENT_TIMEOUT_MS. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
/** How much longer than the server's own limit the client waits before it calls a query lost. */
const CLIENT_GRACE_MS = 5_000;

/** A Sequelize instance with every NeuroWeaver model defined on it. */
export function createDatabase({
  url,
  poolMax = 10,
  statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS,
}: DatabaseOptions): Sequelize {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: {
      max: poolMax,
      min: 0,
      idle: 10_000,
      acquire: 10_000,
      // A connection whose query the client gave up on (query_timeout) still waits for the server's
      // answer: never hand it to the next query; the pool closes it and opens a fresh one.
      validate: (connection: unknown) => {
        const c = connection as { _invalid?: boolean; _ending?: boolean; _getActiveQuery?: () => unknown };
        return !c._invalid && !c._ending && !c._getActiveQuery?.();
      },
    },
    dialectOptions: {
      connectionTimeoutMillis: 5_000,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + CLIENT_GRACE_MS,
      // A transaction left open by a crashed handler must not hold its locks (and its slot) for good.
      idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    },
  });
  initModels(sequelize);
  return sequelize;
}

type DatabaseConfig = Pick<Config, 'databaseUrl' | 'dataDir' | 'embeddedPgPort' | 'dbPoolMax' | 'dbStatementTimeoutMs'>;

/** DATABASE_URL, or the embedded server's URL with the password kept under the data dir. */
export const resolveDatabaseUrl = (config: Pick<Config, 'databaseUrl' | 'dataDir' | 'embeddedPgPort'>): string =>
  config.databaseUrl ?? embeddedDatabaseUrl(config.dataDir, config.embeddedPgPort);

/** Migrations may build an index on a large table: they get an hour, not a request's budget. */
export const MIGRATION_STATEMENT_TIMEOUT_MS = 3_600_000;

/** The process's database as configured (URL, pool size, statement timeout). */
export const openDatabase = (
  config: DatabaseConfig,
  {
    poolMax = config.dbPoolMax,
    statementTimeoutMs = config.dbStatementTimeoutMs,
  }: { poolMax?: number; statementTimeoutMs?: number } = {},
): Sequelize => createDatabase({ url: resolveDatabaseUrl(config), poolMax, statementTimeoutMs });
