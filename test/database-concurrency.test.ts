import { checkConcurrentConnections } from './helpers/db-concurrency';
import { testServices } from './helpers/env';

/**
 * The embedded database as `npm start` runs it (or TEST_DATABASE_ADMIN_URL's server), driven the way
 * an API and a worker drive it together: eight pools of three connections, each mixing parameterized
 * reads, autocommit writes and transactions that commit or roll back. The retired PGlite socket
 * server failed exactly this (other connections' rows, acknowledged writes lost, then a wedged queue).
 */
describe('database under concurrent connections', () => {
  jest.setTimeout(120_000);

  it('returns every connection its own rows and keeps every acknowledged write: 0 wrong, 0 lost', async () => {
    const report = await checkConcurrentConnections({
      url: testServices().databaseUrl,
      pools: 8,
      connectionsPerPool: 3,
      operationsPerClient: 150,
    });
    expect(report.errors).toEqual([]);
    expect(report).toMatchObject({ wrongReads: 0, lostWrites: 0, phantomWrites: 0 });
    // 24 clients × 150 operations: the run did what it claims.
    expect(report.reads + report.transactions).toBeGreaterThanOrEqual(24 * 150);
    expect(report.writes).toBe(24 * 50);
  });
});
