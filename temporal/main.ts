import { loadConfigOrExit } from '../config/load';
import { startEmbeddedTemporal } from './embedded';

/** `npm run temporal`: the embedded dev server alone, persistent under the data dir. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.temporal.embedded) {
    console.log(`TEMPORAL_ADDRESS is set (${config.temporal.address}): nothing to start.`);
    return;
  }
  const server = await startEmbeddedTemporal(config);
  console.log(`Temporal dev server (${server.origin})`);
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
