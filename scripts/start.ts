import { signToken } from '../auth/token';
import { resolveJwtSecret } from '../config/dev-secret';
import { loadConfigOrExit } from '../config/load';
import { MIGRATION_STATEMENT_TIMEOUT_MS, openDatabase } from '../db/connection';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded';
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
  let postgres: EmbeddedPostgres | undefined;
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
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  process.once('SIGHUP', () => void stopAll(0));

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
      postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
      console.log(`neuroweaver: embedded PostgreSQL on 127.0.0.1:${postgres.port} (data in ${config.dataDir}/pg; DATABASE_URL is unset)`);
    }
    const sequelize = openDatabase(config, { poolMax: 1, statementTimeoutMs: MIGRATION_STATEMENT_TIMEOUT_MS });
    const applied = await createMigrator(sequelize).up();
    await sequelize.close();
    if (applied.length) console.log(`neuroweaver: migrations applied: ${applied.map((m) => m.name).join(', ')}`);

    const childEnv: NodeJS.ProcessEnv = relaycore ? { ...process.env, RELAYCORE_URL: relaycore.url } : { ...process.env };
    // Local runs: alerts go to the emulator's sink (GET <emulator>/__emulator/calls shows them) unless a webhook is configured.
    if (relaycore && !config.alertWebhookUrl) childEnv.ALERT_WEBHOOK_URL = `${relaycore.url}${ALERT_SINK_PATH}`;
    services.push(startChildService('worker', 'worker/main.ts', childEnv), startChildService('api', 'api/main.ts', childEnv));
    for (const service of services) {
      void service.exited.then((code) => {
        if (!stopping) {
          console.error(`neuroweaver: ${service.name} exited unexpectedly (code ${code}); stopping everything`);
          void stopAll(1);
        }
      });
    }
    await waitForHealth(`http://127.0.0.1:${config.port}/health`, 60_000);

    const token = signToken(resolveJwtSecret(config), { sub: 'dev-admin', level: 'admin', ttlSeconds: 12 * 3600 });
    const pids = [temporal?.pid && `temporal=${temporal.pid}`, ...services.map((s) => `${s.name}=${s.child.pid}`)].filter(Boolean);
    console.log(`
NeuroWeaver is ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s)
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
async function startRelayCoreEmulatorOrExplain({ port, host }: { port: number; host: string }): Promise<RelayCoreEmulator> {
  try {
    return await startRelayCoreEmulator({ port, host });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`RelayCore emulator: port ${port} is in use; set RELAYCORE_EMULATOR_PORT to another port, or RELAYCORE_URL to a running RelayCore`);
    }
    throw err;
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
