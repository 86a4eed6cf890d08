import { loadConfigOrExit } from '../config/load';
import { MIGRATION_STATEMENT_TIMEOUT_MS, openDatabase } from '../db/connection';
import { createMigrator } from './umzug';

/** `npm run migrate [up|down|status] [-- --to NAME | --step N]`. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const [command = 'up', ...rest] = process.argv.slice(2);
  const option = (flag: string) => {
    const i = rest.indexOf(flag);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const sequelize = openDatabase(config, { poolMax: 1, statementTimeoutMs: MIGRATION_STATEMENT_TIMEOUT_MS });
  const migrator = createMigrator(sequelize, console);
  try {
    switch (command) {
      case 'up': {
        const to = option('--to');
        const done = await migrator.up(to ? { to } : {});
        console.log(done.length ? `applied: ${done.map((m) => m.name).join(', ')}` : 'schema is up to date');
        break;
      }
      case 'down': {
        const to = option('--to');
        const step = Number(option('--step') ?? 1);
        const done = await migrator.down(to ? { to: to === '0' ? 0 : to } : { step });
        console.log(done.length ? `reverted: ${done.map((m) => m.name).join(', ')}` : 'nothing to revert');
        break;
      }
      case 'status': {
        const [executed, pending] = await Promise.all([migrator.executed(), migrator.pending()]);
        for (const m of executed) console.log(`up       ${m.name}`);
        for (const m of pending) console.log(`pending  ${m.name}`);
        break;
      }
      default:
        console.error(`unknown command "${command}": use up, down or status`);
        process.exitCode = 2;
    }
  } catch (err) {
    console.error(`migration failed: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await sequelize.close();
  }
}

void main();
