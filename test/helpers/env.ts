import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '../../config/env';
import { uniqueName } from '../../support/names';

export { uniqueName };

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest (global setup provides it)`);
  return value;
}

/** What global setup started for this run. */
export const testServices = () => ({
  temporalAddress: required('NW_TEST_TEMPORAL_ADDRESS'),
  temporalCli: required('NW_TEST_TEMPORAL_CLI'),
  databaseUrl: required('NW_TEST_DATABASE_URL'),
  workflowBundlePath: required('NW_TEST_WORKFLOW_BUNDLE'),
  workDir: required('NW_TEST_WORK_DIR'),
});

/** A full config pointed at the test services, with its own task queue and data dir. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const services = testServices();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-data-'));
  return parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: services.databaseUrl,
    TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_TASK_QUEUE: uniqueName('test-queue'),
    TEMPORAL_TRAINING_TASK_QUEUE: uniqueName('test-training-queue'),
    JWT_SECRET: TEST_JWT_SECRET,
    NW_DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    // Traffic tests send hundreds of requests a second from one subject; the limits have their own test.
    NW_RATE_LIMIT_STARTS_PER_MINUTE: '0',
    NW_RATE_LIMIT_INFERENCE_PER_MINUTE: '0',
    NW_RATE_LIMIT_INCIDENTS_PER_MINUTE: '0',
    ...overrides,
  });
}
