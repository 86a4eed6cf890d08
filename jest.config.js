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
  // Three on two cores: a file spends most of its time waiting on the dev server, PostgreSQL or a
  // child process (336 s in a fresh-clone run; two took 558 s). See the README's Test section.
  maxWorkers: 3,
};
