import { ConfigError, parseConfig } from '../config/env';

const secret = 'a-real-production-secret-of-enough-length';

function problemWith(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('fills defaults for a bare development environment', () => {
    const config = parseConfig({});
    expect(config.port).toBe(8002);
    expect(config.embeddedDatabase).toBe(true);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.embeddedPgPort).toBe(54329);
    expect(config.dbStatementTimeoutMs).toBe(30_000);
    expect(config.temporal).toMatchObject({
      embedded: true,
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'neuroweaver',
      uiUrl: 'http://localhost:8233',
    });
    expect(config.otel.samplerRatio).toBe(1);
    expect(config.faultsEnabled).toBe(false);
  });

  it('uses the servers it is given', () => {
    const config = parseConfig({ DATABASE_URL: 'postgres://u:p@db:5432/nw', TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(config.embeddedDatabase).toBe(false);
    expect(config.temporal.embedded).toBe(false);
    expect(config.temporal.address).toBe('temporal:7233');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ TEMPORAL_ADDRESS: 'http://temporal' }, 'TEMPORAL_ADDRESS'],
    [{ RELAYCORE_URL: 'not a url' }, 'RELAYCORE_URL'],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG'],
    [{ NW_ENABLE_FAULTS: 'yes' }, 'NW_ENABLE_FAULTS'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ NW_DB_STATEMENT_TIMEOUT_MS: '10' }, 'NW_DB_STATEMENT_TIMEOUT_MS'],
    [{ NW_DB_POOL_MAX: '0' }, 'NW_DB_POOL_MAX'],
  ])('names the variable in error for %j', (env, variable) => {
    expect(problemWith(env)).toMatch(new RegExp(`^${variable}: `));
  });

  it('parses booleans strictly', () => {
    expect(parseConfig({ NW_ENABLE_FAULTS: '1' }).faultsEnabled).toBe(true);
    expect(parseConfig({ NW_ENABLE_FAULTS: 'false' }).faultsEnabled).toBe(false);
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '' }).embeddedDatabase).toBe(true);
  });

  it('refuses production without a DATABASE_URL: the embedded server is for development', () => {
    expect(problemWith({ NODE_ENV: 'production', JWT_SECRET: secret })).toMatch(
      /^DATABASE_URL: is required when NODE_ENV=production/,
    );
  });

  it('refuses production without a real JWT secret', () => {
    expect(problemWith({ NODE_ENV: 'production' })).toBe('JWT_SECRET: is required when NODE_ENV=production');
    expect(problemWith({ NODE_ENV: 'production', JWT_SECRET: 'nw-dev-0123456789abcdef0123456789abcdef' })).toMatch(
      /^JWT_SECRET: is a development secret/,
    );
    const db = 'postgresql://nw:pw@db:5432/nw';
    expect(
      problemWith({ NODE_ENV: 'production', JWT_SECRET: secret, DATABASE_URL: db, NW_ENABLE_FAULTS: '1' }),
    ).toMatch(/^NW_ENABLE_FAULTS:/);
    const config = parseConfig({ NODE_ENV: 'production', JWT_SECRET: secret, DATABASE_URL: db });
    expect(config.otel.samplerRatio).toBe(0.1);
  });
});
