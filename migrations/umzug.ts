import type { Sequelize, Transaction } from 'sequelize';
import { SequelizeStorage, Umzug, type MigrationFn } from 'umzug';
import * as m0001 from './0001-seed-tables';
import * as m0002 from './0002-seed-indexes';
import * as m0003 from './0003-routing-alerts-switches';
import * as m0004 from './0004-revoked-tokens';
import * as m0005 from './0005-model-validation';
import * as m0006 from './0006-training-job-keys';
import * as m0007 from './0007-deployment-rollouts';
import * as m0008 from './0008-watchdog';
import * as m0009 from './0009-list-indexes';
import * as m0010 from './0010-watchdog-windows';
import * as m0011 from './0011-watchdog-window-state';
import * as m0012 from './0012-routing-changes';
import * as m0013 from './0013-lineage-indexes';
import * as m0014 from './0014-switch-event-delivery';
import * as m0015 from './0015-revoke-every-token';
import * as m0016 from './0016-model-artifacts';
import * as m0017 from './0017-rate-limit-windows';
import * as m0018 from './0018-model-counts';
import * as m0019 from './0019-training-job-outbox';
import * as m0020 from './0020-models-change-notice';

/** What a migration gets: plain SQL, run inside the migration's own transaction. */
export interface MigrationContext {
  query(sql: string): Promise<unknown>;
}
export type Migration = MigrationFn<MigrationContext>;

const inTransaction = (sequelize: Sequelize, run: Migration, name: string) => () =>
  sequelize.transaction(async (transaction: Transaction) => {
    const context: MigrationContext = { query: (sql) => sequelize.query(sql, { transaction }) };
    await run({ name, context });
  });

/** Ordered by name; listed explicitly so the set is the same under tsx, Jest and a compiled build. */
const migrations = [
  { name: '0001-seed-tables', module: m0001 },
  { name: '0002-seed-indexes', module: m0002 },
  { name: '0003-routing-alerts-switches', module: m0003 },
  { name: '0004-revoked-tokens', module: m0004 },
  { name: '0005-model-validation', module: m0005 },
  { name: '0006-training-job-keys', module: m0006 },
  { name: '0007-deployment-rollouts', module: m0007 },
  { name: '0008-watchdog', module: m0008 },
  { name: '0009-list-indexes', module: m0009 },
  { name: '0010-watchdog-windows', module: m0010 },
  { name: '0011-watchdog-window-state', module: m0011 },
  { name: '0012-routing-changes', module: m0012 },
  { name: '0013-lineage-indexes', module: m0013 },
  { name: '0014-switch-event-delivery', module: m0014 },
  { name: '0015-revoke-every-token', module: m0015 },
  { name: '0016-model-artifacts', module: m0016 },
  { name: '0017-rate-limit-windows', module: m0017 },
  { name: '0018-model-counts', module: m0018 },
  { name: '0019-training-job-outbox', module: m0019 },
  { name: '0020-models-change-notice', module: m0020 },
];

export function createMigrator(sequelize: Sequelize, logger: Console | undefined = undefined) {
  return new Umzug<Sequelize>({
    // Each migration runs in one transaction: a failure leaves the schema as it was.
    migrations: migrations.map(({ name, module }) => ({
      name,
      up: inTransaction(sequelize, module.up, name),
      down: inTransaction(sequelize, module.down, name),
    })),
    context: sequelize,
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger,
  });
}

export class SchemaBehindError extends Error {
  constructor(readonly pending: string[]) {
    super(`database schema is behind the code (pending: ${pending.join(', ')}); run \`npm run migrate\``);
    this.name = 'SchemaBehindError';
  }
}

/** API and worker refuse to serve on a schema older than the code. */
export async function assertSchemaCurrent(sequelize: Sequelize): Promise<void> {
  const pending = await createMigrator(sequelize).pending();
  if (pending.length > 0) throw new SchemaBehindError(pending.map((m) => m.name));
}
