import { signToken } from '../auth/token';
import { buildConsoleIfChanged } from './console-build';
import { resolveJwtSecret } from '../config/dev-secret';
import { loadConfigOrExit } from '../config/load';
import { Client } from 'pg';
import type { Config } from '../config/env';
import { MIGRATION_STATEMENT_TIMEOUT_MS, openDatabase, resolveDatabaseUrl } from '../db/connection';
import { createMigrator } from '../migrations/umzug';
import { ALERT_SINK_PATH, startRelayCoreEmulator, type RelayCoreEmulator } from '../relaycore/emulator';
import { startEmbeddedTemporal, type EmbeddedTemporal } from '../temporal/embedded';
import { startChildService, type ChildService } from './child-service';

/**
 * `npm start`: the whole platform on one machine — Temporal dev server (unless TEMPORAL_ADDRESS),
 * embedded PostgreSQL (unless DATABASE_URL), the RelayCore emulator (unless RELAYCORE_URL),
 * migrations, worker and API — and a clean stop of all of it on Ctrl-C or SIGTERM, in dependency
 * order.
 */
async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfigOrExit();
  let temporal: EmbeddedTemporal | undefined;
  let postgres: ChildService | undefined;
  let relaycore: RelayCoreEmulator | undefined;
  const services: ChildService[] = [];
  let stopping: Promise<void> | undefined;

  const stopAll = (exitCode: number) =>
    (stopping ??= (async () => {
      console.log('neuroweaver: stopping…');
      // Reverse dependency order: nothing is left talking to a server that is already gone.
      await Promise.all(services.map((s) => s.stop()));
      await relaycore?.close();
      await postgres?.stop();
      await temporal?.stop();
      console.log('neuroweaver: stopped');
      process.exit(exitCode);
    })());
  // Every signal, not just the first: a second Ctrl-C while stopping must not kill the supervisor
  // and leave PostgreSQL and Temporal (each in its own process group) running.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));

  try {
    if (!config.relaycoreUrl) {
      // First: it takes milliseconds, and a busy port should fail the start before anything slow.
      relaycore = await startRelayCoreEmulatorOrExplain(config.relaycoreEmulator);
      console.log(`neuroweaver: RelayCore emulator on ${relaycore.url} (RELAYCORE_URL is unset)`);
    }
    if (config.temporal.embedded) {
      temporal = await startEmbeddedTemporal(config);
      console.log(`neuroweaver: Temporal dev server on ${temporal.address} (${temporal.origin})`);
    }
    if (config.embeddedDatabase) {
      // Its own process group, like the API and the worker: a terminal's Ctrl-C reaches only this
      // supervisor, so PostgreSQL stops after them, not while they are still writing.
      postgres = startChildService('db', 'db/embedded-main.ts', process.env);
      await waitForDatabase(config, postgres, 60_000);
      console.log(
        `neuroweaver: embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort} (data in ${config.dataDir}/pg; DATABASE_URL is unset)`,
      );
    }
    const sequelize = openDatabase(config, { poolMax: 1, statementTimeoutMs: MIGRATION_STATEMENT_TIMEOUT_MS });
    const applied = await createMigrator(sequelize).up();
    await sequelize.close();
    if (applied.length) console.log(`neuroweaver: migrations applied: ${applied.map((m) => m.name).join(', ')}`);

    const childEnv: NodeJS.ProcessEnv = relaycore
      ? { ...process.env, RELAYCORE_URL: relaycore.url }
      : { ...process.env };
    // Local runs: alerts go to the emulator's sink (GET <emulator>/__emulator/calls shows them) unless a webhook is configured.
    if (relaycore && !config.alertWebhookUrl) childEnv.ALERT_WEBHOOK_URL = `${relaycore.url}${ALERT_SINK_PATH}`;
    buildConsoleIfChanged();
    services.push(
      startChildService('worker', 'worker/main.ts', childEnv),
      startChildService('api', 'api/main.ts', childEnv),
    );
    for (const service of [...services, ...(postgres ? [postgres] : [])]) {
      void service.exited.then((code) => {
        if (!stopping) {
          console.error(`neuroweaver: ${service.name} exited unexpectedly (code ${code}); stopping everything`);
          void stopAll(1);
        }
      });
    }
    await waitForHealth(`http://127.0.0.1:${config.port}/health`, 60_000);

    const token = signToken(resolveJwtSecret(config), {
      sub: 'dev-admin',
      level: 'admin',
      ttlSeconds: 12 * 3600,
      ...config.jwtParty,
    });
    const pids = [
      temporal?.pid && `temporal=${temporal.pid}`,
      postgres && `db=${postgres.child.pid}`,
      ...services.map((s) => `${s.name}=${s.child.pid}`),
    ].filter(Boolean);
    console.log(`
NeuroWeaver is ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s)
  Console:       http://localhost:${config.port}/#token=${token}
                 (a sign-in link: the token rides in the fragment, which never reaches a server)
  API:           http://localhost:${config.port}   (docs: http://localhost:${config.port}/docs)
  Temporal UI:   ${config.temporal.uiUrl}
  Worker metrics http://localhost:${config.workerMetricsPort}/metrics
  RelayCore:     ${relaycore ? `${relaycore.url}   (emulator; calls: ${relaycore.url}/__emulator/calls)` : config.relaycoreUrl}
  Alert webhook: ${childEnv.ALERT_WEBHOOK_URL ?? '(ALERT_WEBHOOK_URL unset: alerts are kept in the API only)'}
  Data dir:      ${config.dataDir}
  Processes:     ${pids.join(' ')}
  Dev admin token (12 h; \`npm run token\` makes more):
${token}
Press Ctrl-C to stop.`);
  } catch (err) {
    console.error(`neuroweaver: start failed: ${(err as Error).message}`);
    await stopAll(1);
  }
}

/** The emulator on RELAYCORE_EMULATOR_PORT (default 3001); a bad or busy port is one clear line. */
async function startRelayCoreEmulatorOrExplain({
  port,
  host,
}: {
  port: number;
  host: string;
}): Promise<RelayCoreEmulator> {
  try {
    return await startRelayCoreEmulator({ port, host });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `RelayCore emulator: port ${port} is in use; set RELAYCORE_EMULATOR_PORT to another port, or RELAYCORE_URL to a running RelayCore`,
      );
    }
    throw err;
  }
}

/** Until the embedded server answers with its password (it writes the password file on first start). */
async function waitForDatabase(config: Config, service: ChildService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  let last: string | undefined = 'not tried';
  while (Date.now() < deadline && !exited) {
    last = await tryConnect(config);
    if (last === undefined) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    exited
      ? 'the embedded PostgreSQL exited (its reason is above)'
      : `the embedded PostgreSQL did not answer within ${timeoutMs / 1000} s (${last})`,
  );
}

/** undefined when the database answers; otherwise why not (the password file may not be written yet). */
async function tryConnect(config: Config): Promise<string | undefined> {
  let client: Client;
  try {
    client = new Client({ connectionString: resolveDatabaseUrl(config), connectionTimeoutMillis: 1_000 });
  } catch (err) {
    return (err as Error).message;
  }
  try {
    await client.connect();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`API did not answer ${url} within ${timeoutMs / 1000} s`);
}

void main();
