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
  // Two on two cores. Three were faster (401 s against 558 s) while the host ran at full speed, but
  // in its slow stretches PostgreSQL then failed to answer new connections within pg's 5 s.
  maxWorkers: 2,
};
