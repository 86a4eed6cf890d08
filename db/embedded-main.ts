import { loadConfigOrExit } from '../config/load';
import { runService } from '../config/run-service';
import { startEmbeddedPostgres } from './embedded';

/**
 * `npm run db`: the embedded PostgreSQL alone (data under NW_DATA_DIR/pg, port NW_EMBEDDED_PG_PORT),
 * for running `npm run api` and `npm run worker` as separate processes without a DATABASE_URL: they
 * find the password in the same data dir.
 */
runService('db', async () => {
  const config = loadConfigOrExit();
  if (!config.embeddedDatabase) {
    console.log('DATABASE_URL is set: nothing to start.');
    return undefined;
  }
  const postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
  // The URL carries the password: it is for the local user who started this (tests read it from here).
  console.log(`embedded PostgreSQL ready on ${postgres.url}`);
  return () => postgres.stop();
});
