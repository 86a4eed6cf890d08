/**
 * `npm run test:unit`: the fast tier — pure functions and the API through app.request against the
 * real PostgreSQL, no Temporal server (its address answers nothing). `npm test` runs these too, and
 * the long seeded simulations (watchdog-evaluate: days of windows) that this tier leaves out.
 */
process.env.NW_TEST_TIER = 'unit';
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: [
    'units',
    'watchdog-units',
    'watchdog-reconcile',
    'canary-judgement',
    'gate-policy-judge',
    'workflow-starts',
    'temporal-errors',
    'code-shape',
    'console-client',
    'overview',
    'model-status',
    'config',
    'auth',
    'object-authorization',
    'registry',
    'tracing-sampling',
    'server-headers',
    'metric-writer',
    'migrations',
  ].map((name) => `<rootDir>/test/${name}.test.ts`),
};
