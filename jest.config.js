/** Tests run against a real Temporal dev server and a real PostgreSQL, both started once per run. */
module.exports = {
  testEnvironment: '<rootDir>/test/setup/node-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  // Three on two cores: most of a file's time is spent waiting for windows, timers and Temporal
  // (the cores were about half idle with two), and the dev server and PostgreSQL are shared.
  maxWorkers: 3,
};
