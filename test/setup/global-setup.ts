import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../temporal/tracing';
import { createDatabase } from '../../db/connection';
import { createMigrator } from '../../migrations/umzug';
import { resolveTemporalCli } from '../../temporal/cli-path';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { freePort } from '../../support/ports';
import { createTestDatabase, type TestDatabase } from '../../support/throwaway-database';

declare global {
  var __NW_TEST__: { temporal?: DevServer; database: TestDatabase; workDir: string } | undefined;
}

/** Where the fast tier (`npm run test:unit`) points Temporal: nothing listens, so a test that needs it fails at once. */
const NO_TEMPORAL = '127.0.0.1:1';

/**
 * Once per `jest` run: one real Temporal dev server (from the resolved CLI binary), one real
 * PostgreSQL database with the schema migrated, and the workflow bundle. Test files find them
 * through NW_TEST_* variables; each test uses its own task queue.
 */
export default async function globalSetup(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-test-'));
  if (process.env.NW_TEST_TIER === 'unit') return unitTierSetup(workDir);
  const cli = await resolveTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
  const [temporal, database, bundle] = await Promise.all([
    startTestDevServer(cli.path, path.join(workDir, 'temporal.log')),
    createTestDatabase(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      logger: quietLogger,
    }),
  ]);
  globalThis.__NW_TEST__ = { temporal, database, workDir };

  const sequelize = createDatabase({ url: database.url, poolMax: 2 });
  await createMigrator(sequelize).up();
  await sequelize.close();

  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  Object.assign(process.env, {
    NW_TEST_TEMPORAL_ADDRESS: temporal.address,
    NW_TEST_TEMPORAL_CLI: cli.path,
    NW_TEST_DATABASE_URL: database.url,
    NW_TEST_WORKFLOW_BUNDLE: bundlePath,
    NW_TEST_WORK_DIR: workDir,
  });
}

/** The fast tier: the real PostgreSQL, migrated; no Temporal server and no workflow bundle. */
async function unitTierSetup(workDir: string): Promise<void> {
  const database = await createTestDatabase();
  globalThis.__NW_TEST__ = { database, workDir };
  const sequelize = createDatabase({ url: database.url, poolMax: 2 });
  await createMigrator(sequelize).up();
  await sequelize.close();
  // Named so a test that needs them says so when it fails.
  Object.assign(process.env, {
    NW_TEST_TEMPORAL_ADDRESS: NO_TEMPORAL,
    NW_TEST_TEMPORAL_CLI: 'no-temporal-cli-in-the-unit-tier',
    NW_TEST_DATABASE_URL: database.url,
    NW_TEST_WORKFLOW_BUNDLE: path.join(workDir, 'no-workflow-bundle-in-the-unit-tier.js'),
    NW_TEST_WORK_DIR: workDir,
  });
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/**
 * The dev server picks free ports of its own for its internal services; now and then one of them is
 * the port we just chose for it, and it exits with "address already in use". Another port then.
 */
async function startTestDevServer(cliPath: string, logFile: string, attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ cliPath, port: await freePort(), headless: true, logFile });
    } catch (err) {
      if (attempt >= attempts || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}
