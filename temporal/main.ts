import path from 'node:path';
import { loadConfigOrExit } from '../config/load';
import { resolveTemporalCli } from './cli-path';
import { startDevServer } from './dev-server';

/** `npm run temporal`: the embedded dev server alone, persistent under the data dir. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.temporal.embedded) {
    console.log(`TEMPORAL_ADDRESS is set (${config.temporal.address}): nothing to start.`);
    return;
  }
  const cli = await resolveTemporalCli({ explicitPath: config.temporal.cliPath });
  const server = await startDevServer({
    cliPath: cli.path,
    dbFile: path.join(config.dataDir, 'temporal.db'),
    port: config.temporal.devServerPort,
    uiPort: config.temporal.devServerUiPort,
    namespace: config.temporal.namespace,
    logFile: path.join(config.dataDir, 'temporal.log'),
  });
  console.log(`Temporal dev server (${cli.path}, found via ${cli.source})`);
  console.log(`  gRPC:   ${server.address}`);
  console.log(`  Web UI: ${server.uiUrl}`);
  const shutdown = async () => {
    await server.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(`temporal: ${(err as Error).message}`);
  process.exit(1);
});
