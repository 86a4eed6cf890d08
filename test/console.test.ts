import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildConsole } from '../scripts/console-build';
import { chromiumPath } from '../support/chromium';
import { freePort } from '../support/ports';
import { registerServableModel } from '../support/servable-model';
import { createIsolatedDatabase, createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { bearer, tokenFor } from './helpers/tokens';
import { serveApp, writeThresholds } from './helpers/watchdog';
import { withWorker } from './helpers/worker';
import { trainingWorkflowId } from '../workflows/training-types';

const ROOT = path.resolve(__dirname, '..');
/** Not committed: a reviewer looks at them after a run. */
const SHOTS = path.join(ROOT, 'test-results', 'console');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const browserPath = chromiumPath();
/** CI installs Chromium (.ci/run) and sets this, so the console is never left untested there. */
const required = process.env.NW_REQUIRE_BROWSER === '1';
if (!browserPath && required)
  throw new Error('NW_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)');
if (!browserPath)
  console.warn('console.test.ts: no chromium on PATH (apt-get install chromium): the browser test is skipped');
const describeInBrowser = browserPath ? describe : describe.skip;

/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * stack: the API serving the built console, the worker, the Temporal dev server and PostgreSQL.
 * An operator's day: sign in, train, deploy through the gate with four-eyes approval, watch a
 * failover happen and acknowledge its alert. Each page passes axe-core with no serious violations.
 */
describeInBrowser('the console in a browser', () => {
  jest.setTimeout(300_000);
  let t: TestApp;
  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let stopServing: () => Promise<void>;
  let browser: Browser;
  let base: string;
  const specialization = uniqueName('console');
  const admin = bearer(tokenFor('admin', 'operator'));
  const alice = tokenFor('write', 'alice');
  const bob = tokenFor('write', 'bob');

  beforeAll(async () => {
    buildConsole();
    fs.mkdirSync(SHOTS, { recursive: true });
    database = await createIsolatedDatabase();
    const port = String(await freePort());
    // Test clocks (1 s watchdog windows, 2 s gate windows); the gate's latency is as generous as
    // the watchdog's here: a loaded CI machine stalls requests for reasons that are not the model's.
    const shippedGate = {
      steps: [10, 50, 100],
      requireApproval: false,
      approvalTimeoutSeconds: 3600,
      onApprovalTimeout: 'rollback',
      fourEyes: true,
    };
    const analysis = {
      windowSeconds: 2,
      minRequests: 20,
      maxWindows: 3,
      maxErrorRate: 0.05,
      maxP95LatencyMs: 30_000,
      minAccuracy: 0.8,
    };
    t = await createTestApp({
      DATABASE_URL: database.url,
      NW_ENABLE_FAULTS: '1',
      NW_THRESHOLDS_FILE: writeThresholds({ gate: { ...shippedGate, analysis } }),
      PORT: port,
    });
    stopServing = serveApp(t);
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: browserPath!, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await stopServing?.();
    await t?.close();
    await database?.drop();
  });

  /** A page that may reach nothing but the API's own origin: anything else fails the test. */
  const openPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const outside: string[] = [];
    const problems: string[] = [];
    await page.route('**/*', (route) => {
      if (route.request().url().startsWith(base)) return route.continue();
      outside.push(route.request().url());
      return route.abort();
    });
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => {
      // The API's refusals the test provokes (four-eyes) are logged by the browser as failed loads.
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 403/.test(m.text()))
        problems.push(m.text());
    });
    return { page, outside, problems };
  };
  /** axe-core on the page as it is now: no serious or critical violations; and a screenshot. */
  const check = async (page: Page, name: string) => {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const result = await (
        globalThis as unknown as {
          axe: { run: () => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
        }
      ).axe.run();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.nodes.length})`);
    });
    expect({ page: name, violations }).toEqual({ page: name, violations: [] });
  };

  it('serves /docs from its own bundle: the operations render with no request leaving the origin', async () => {
    const { page, outside } = await openPage();
    await page.goto(`${base}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30);
    await page.screenshot({ path: path.join(SHOTS, 'docs.png') });
    expect(outside).toEqual([]);
    await page.close();
  });

  it('shows a job whose workflow Temporal has not taken yet as waiting for it', async () => {
    // Accepted and stored, its start not sent (Temporal down when it came in, say): a row with
    // no start to send stays that way, so the page is seen in that state for certain.
    const id = randomUUID();
    const name = uniqueName('console-waiting');
    await t.stores.trainingJobs.create({
      id,
      name,
      trainingConfig: { name, specialization, hyperparameters: { epochs: 1 } },
      dataset: 'automotive-queries',
      createdBy: 'alice',
      idempotencyKey: null,
      workflowId: trainingWorkflowId(id),
      specialization,
      trainer: 'builtin',
      workflowStart: null,
      startNotBefore: null,
    });
    const { page, outside, problems } = await openPage();
    await page.goto(`${base}/training/${id}#token=${alice}`);
    await page.getByRole('heading', { name }).waitFor();
    await page.getByText('waiting for Temporal to start its workflow').waitFor();
    await check(page, 'training-job-waiting');
    expect([...outside, ...problems]).toEqual([]);
    await page.close();
  });

  it('takes an operator from sign-in through training, a gated rollout, a failover and its alert', async () => {
    const backup = await registerServableModel(t, specialization);
    await withWorker(t.config, t.sequelize, async () => {
      // What serves before: a model deployed through the API (the failover's backup later).
      const before = await t.app.request(
        `/api/v1/models/${backup.id}/deploy`,
        json({ specialization, watch: false }, admin),
      );
      expect(before.status).toBe(202);
      const { workflowId } = (await before.json()) as { workflowId: string };
      await t.temporal.workflow.getHandle(workflowId).result();

      const { page, outside, problems } = await openPage();
      // Sign in by pasting a token.
      await page.goto(`${base}/`);
      await check(page, 'sign-in');
      await page.getByLabel('Token (the bearer JWT you call the API with)').fill(alice);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByRole('article', { name: `specialization ${specialization}` }).waitFor();
      expect(await page.evaluate('Object.keys(localStorage).length + document.cookie.length')).toBe(0);
      await check(page, 'overview');

      // The registry shows the model.
      await page.getByRole('link', { name: 'Models', exact: true }).click();
      await page.getByRole('article', { name: `model ${backup.name} ${backup.version}` }).waitFor();
      await check(page, 'models');

      // Train: the form, then the job's page until it completes.
      await page.getByRole('link', { name: 'Training', exact: true }).click();
      await page.getByLabel('Name').fill('console-router');
      await page.getByLabel('Specialization').fill(specialization);
      await page.getByLabel('Epochs').fill('4');
      await check(page, 'training');
      await page.getByRole('button', { name: 'Start training' }).click();
      await page.getByRole('heading', { name: 'console-router' }).waitFor();
      await page.getByText('completed', { exact: true }).waitFor({ timeout: 120_000 });
      await page.getByRole('link', { name: 'its model' }).waitFor();
      // Its learning curve: a line through the four epochs' losses.
      await page.locator('figure', { hasText: 'Loss at the end of each epoch' }).locator('.recharts-line').waitFor();
      expect(await page.getByText('epoch 4').count()).toBeGreaterThan(0);
      await check(page, 'training-job');

      // Deploy it behind an approval; alice may not approve her own rollout (four-eyes).
      await page.getByRole('link', { name: 'its model' }).click();
      await page
        .getByRole('heading', { name: 'Accuracy per label (holdout)' })
        .or(page.getByText('Accuracy per label (holdout)'))
        .first()
        .waitFor();
      await check(page, 'model');
      await page.getByLabel('Wait for an approval before promoting').check();
      await page.getByRole('button', { name: 'Deploy', exact: true }).click();
      await page.getByRole('button', { name: 'Approve' }).waitFor({ timeout: 120_000 });
      await page.getByText(/left to approve/).waitFor();
      await check(page, 'deployment-awaiting-approval');
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByText('four-eyes: alice deployed this rollout, so someone else approves it').waitFor();
      const deploymentUrl = page.url();

      // Alice signs out; Bob, in his own browser, opens a link that carries his token in the
      // fragment (taken from the address at once), and approves.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const second = await openPage();
      await second.page.goto(`${deploymentUrl}#token=${bob}`);
      await second.page.getByText('bob · write').waitFor();
      expect(second.page.url()).toBe(deploymentUrl);
      await second.page.getByRole('button', { name: 'Approve' }).click();
      await second.page.locator('.status', { hasText: 'promoted' }).first().waitFor({ timeout: 60_000 });
      await check(second.page, 'deployment-promoted');
      expect([...second.outside, ...second.problems]).toEqual([]);
      await second.page.close();
      await page.getByLabel('Token (the bearer JWT you call the API with)').fill(alice);
      await page.getByRole('button', { name: 'Sign in' }).click();

      // Its watchdog starts on promotion. The new model fails every request: the watchdog switches to the backup.
      const promoted = (await (
        await t.app.request(`/api/v1/routing/${specialization}`, { headers: admin })
      ).json()) as {
        stable: { modelId: string };
      };
      await page.goto(`${base}/watchdogs/${specialization}`);
      await page
        .getByText(/last evaluated/)
        .first()
        .waitFor({ timeout: 90_000 });
      const fault = json({ modelId: promoted.stable.modelId, errorRate: 1, ttl: 600 }, admin);
      expect((await t.app.request('/api/v1/admin/faults', fault)).status).toBe(201);
      await page.locator('.timeline li', { hasText: 'switch' }).first().waitFor({ timeout: 90_000 });
      await page.getByText('the backup serves').first().waitFor();
      await check(page, 'watchdog');

      // Its alert, acknowledged.
      await page.getByRole('link', { name: 'Alerts', exact: true }).click();
      const row = page.getByRole('row', { name: /performance-degraded/ });
      // It links its watchdog's page (which links the workflow in the Temporal Web UI).
      expect(await row.getByRole('link', { name: specialization }).getAttribute('href')).toBe(
        `/watchdogs/${specialization}`,
      );
      await row.getByRole('button', { name: 'Acknowledge' }).click();
      await row.getByText('acknowledged').waitFor();
      await check(page, 'alerts');

      for (const [link, name] of [
        ['Deployments', 'deployments'],
        ['Thresholds', 'thresholds'],
        ['Watchdogs', 'watchdogs'],
      ]) {
        await page.getByRole('link', { name: link, exact: true }).click();
        await page.getByRole('heading', { name: link }).waitFor();
        await page.locator('[role="status"]').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
        await check(page, name);
      }
      expect(outside).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();

      // A read token sees the same pages with their actions disabled, saying why.
      const reader = await openPage();
      await reader.page.goto(`${base}/alerts?status=acknowledged#token=${tokenFor('read', 'viewer')}`);
      const resolve = reader.page
        .getByRole('row', { name: /performance-degraded/ })
        .getByRole('button', { name: 'Resolve' });
      expect(await resolve.isDisabled()).toBe(true);
      await reader.page.getByText('needs a write token').first().waitFor();
      await reader.page.goto(`${base}/watchdogs/${specialization}`);
      expect(await reader.page.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
      await reader.page.getByText('needs an admin token').first().waitFor();
      expect([...reader.outside, ...reader.problems]).toEqual([]);
      await reader.page.close();
      await t.app.request(`/api/v1/watchdogs/${specialization}`, { method: 'DELETE', headers: admin });
    });
  });
});
