import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../config/env';
import { temporalConnectionOptions } from '../temporal/connection-options';

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
    expect(config.otel.samplerRatio).toBe(0.01);
  });
});

describe('connecting to a Temporal cluster of your own or Temporal Cloud', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-tls-'));
  const file = (name: string, content: string) => {
    fs.writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };

  it('speaks plain gRPC unless TLS or an API key is configured', () => {
    expect(temporalConnectionOptions(parseConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toEqual({
      address: 'temporal:7233',
    });
  });

  it('presents a client certificate (mTLS), trusting a private CA by the name given', () => {
    const options = temporalConnectionOptions(
      parseConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CERT: file('client.pem', 'CERT'),
        TEMPORAL_TLS_KEY: file('client.key', 'KEY'),
        TEMPORAL_TLS_CA: file('ca.pem', 'CA'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal',
      }),
    );
    expect(options.tls?.clientCertPair?.crt.toString()).toBe('CERT');
    expect(options.tls?.clientCertPair?.key.toString()).toBe('KEY');
    expect(options.tls?.serverRootCACertificate?.toString()).toBe('CA');
    expect(options.tls?.serverNameOverride).toBe('temporal');
  });

  it('uses TLS with an API key alone (Temporal Cloud)', () => {
    const options = temporalConnectionOptions(
      parseConfig({ TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'key-123' }),
    );
    expect(options).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', tls: {}, apiKey: 'key-123' });
  });

  it('names what is missing: the other half of a certificate pair, an unreadable file', () => {
    expect(problemWith({ TEMPORAL_TLS_CERT: '/c.pem' })).toMatch(/^TEMPORAL_TLS_KEY: is required with the other/);
    expect(() =>
      temporalConnectionOptions(
        parseConfig({ TEMPORAL_TLS_CERT: path.join(dir, 'nope.pem'), TEMPORAL_TLS_KEY: file('k', 'KEY') }),
      ),
    ).toThrow(/^TEMPORAL_TLS_CERT: cannot read/);
  });
});
