import { loadConfigOrExit } from '../config/load';
import { runService } from '../config/run-service';
import { startEmbeddedTemporal } from './embedded';

/** `npm run temporal`: the embedded dev server alone, persistent under the data dir. */
runService('temporal', async () => {
  const config = loadConfigOrExit();
  if (!config.temporal.embedded) {
    console.log(`TEMPORAL_ADDRESS is set (${config.temporal.address}): nothing to start.`);
    return undefined;
  }
  const server = await startEmbeddedTemporal(config);
  console.log(`Temporal dev server (${server.origin})`);
  console.log(`  gRPC:   ${server.address}`);
  console.log(`  Web UI: ${server.uiUrl}`);
  return () => server.stop();
});
