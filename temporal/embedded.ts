import path from 'node:path';
import type { Config } from '../config/env';
import { searchAttributeKeys } from '../workflows/search-attributes';
import { resolveTemporalCli, TemporalCliNotFoundError } from './cli-path';
import { startDevServer } from './dev-server';

export interface EmbeddedTemporal {
  address: string;
  uiUrl: string | undefined;
  /** Where the binary came from, for the start-up banner. */
  origin: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * The Temporal dev server of `npm start` / `npm run temporal`: the CLI found by
 * resolveTemporalCli (TEMPORAL_CLI_PATH, PATH, .tools/, pip), or — last, on machines with internet —
 * the SDK's own download of the CLI. Persistent in <data dir>/temporal.db either way.
 */
export async function startEmbeddedTemporal(config: Config): Promise<EmbeddedTemporal> {
  const dbFile = path.join(config.dataDir, 'temporal.db');
  const { devServerPort: port, devServerUiPort: uiPort, namespace } = config.temporal;
  try {
    const cli = await resolveTemporalCli({ explicitPath: config.temporal.cliPath });
    const server = await startDevServer({
      cliPath: cli.path,
      dbFile,
      port,
      uiPort,
      namespace,
      logFile: path.join(config.dataDir, 'temporal.log'),
      ownProcessGroup: true,
    });
    return { ...server, origin: `${cli.path}, via ${cli.source}` };
  } catch (err) {
    // An explicit TEMPORAL_CLI_PATH that is wrong is the user's to fix, not a reason to download.
    if (!(err instanceof TemporalCliNotFoundError) || config.temporal.cliPath) throw err;
    console.warn(`${err.message}; trying the Temporal SDK's download of the CLI`);
  }
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: '127.0.0.1',
      port,
      ui: true,
      uiPort,
      dbFilename: dbFile,
      namespace,
      searchAttributes: searchAttributeKeys,
    },
  });
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: `http://localhost:${uiPort}`,
    origin: 'downloaded by the Temporal SDK',
    pid: undefined,
    stop: () => env.teardown(),
  };
}
