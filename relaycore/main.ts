import { loadConfigOrExit } from '../config/load';
import { runService } from '../config/run-service';
import { startRelayCoreEmulator } from './emulator';

/**
 * `npm run relaycore:emulator`: the RelayCore emulator alone, on RELAYCORE_EMULATOR_PORT (default
 * 3001) of RELAYCORE_EMULATOR_HOST (default 127.0.0.1). For local runs and tests only: point
 * RELAYCORE_URL at the URL it prints. Stops cleanly on SIGINT/SIGTERM.
 */
runService('relaycore emulator', async () => {
  const emulator = await startRelayCoreEmulator(loadConfigOrExit().relaycoreEmulator);
  console.log(`RelayCore emulator ready on ${emulator.url}`);
  console.log(
    `  calls: GET ${emulator.url}/__emulator/calls · faults: POST ${emulator.url}/__emulator/mode {"mode":"ok|error|reject|hang|down"}`,
  );
  return () => emulator.close();
});
