import { loadConfigOrExit } from '../config/load';
import { startRelayCoreEmulator } from './emulator';

/**
 * `npm run relaycore:emulator`: the RelayCore emulator alone, on RELAYCORE_EMULATOR_PORT (default
 * 3001) of RELAYCORE_EMULATOR_HOST (default 127.0.0.1). For local runs and tests only: point
 * RELAYCORE_URL at the URL it prints. Stops cleanly on SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
  const emulator = await startRelayCoreEmulator(loadConfigOrExit().relaycoreEmulator);
  console.log(`RelayCore emulator ready on ${emulator.url}`);
  console.log(`  calls: GET ${emulator.url}/__emulator/calls · faults: POST ${emulator.url}/__emulator/mode {"mode":"ok|error|reject|hang|down"}`);
  const shutdown = async () => {
    await emulator.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(`relaycore emulator: ${(err as Error).message}`);
  process.exit(1);
});
