import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { privateStartEnv, start, stop, type Running } from './helpers/npm-start';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);

/** The commands of the first ```sh block under a README heading: continuation lines joined, comment lines dropped. */
function readmeCommands(heading: string): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  expect(section.length).toBeLessThan(readme.length);
  const block = section.slice(section.indexOf('```sh\n') + 6, section.indexOf('\n```', section.indexOf('```sh\n')));
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
}

/**
 * The README's walkthrough, exactly as written, on `npm start` as a fresh machine gets it: its
 * commands run in bash one by one, with only the port (8002 → a free one) and the placeholders a
 * reader fills in from the answers before (`<id>`, `<jobId>`, `<modelId>`, `<deploymentId>`).
 * Train → deploy → infer ends with the model promoted, serving and watched, at the shipped defaults
 * (a 30 s analysis window; no live traffic, so the canary is judged on probes through the serving path).
 */
describe('the README walkthrough', () => {
  jest.setTimeout(300_000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let running: Running | undefined;
  const vars: Record<string, string> = {};

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-walkthrough-'));
    env = await privateStartEnv(dataDir);
    running = await start(env);
  });
  afterAll(async () => {
    if (running) expect(await stop(running)).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** One README command in bash: variables set by earlier commands (TOKEN=…) are kept, placeholders filled. */
  async function sh(command: string): Promise<string> {
    const filled = command
      .replaceAll('localhost:8002', `localhost:${env.PORT}`)
      .replace(/<(\w+)>/g, (_, name: string) => {
        expect([name, vars[name]]).toEqual([name, expect.any(String)]);
        return vars[name];
      });
    const assignment = filled.match(/^(\w+)=\$\((.*)\)$/);
    const { stdout } = await run('bash', ['-c', assignment ? assignment[2] : filled], {
      cwd: ROOT,
      env: { ...env, ...vars },
      maxBuffer: 16 * 1024 * 1024,
    });
    if (assignment) vars[assignment[1]] = stdout.trim();
    return stdout;
  }
  const api = async <T>(route: string): Promise<T> =>
    (await (
      await fetch(`http://127.0.0.1:${env.PORT}${route}`, { headers: { authorization: `Bearer ${vars.TOKEN}` } })
    ).json()) as T;
  const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let value = await read();
    while (!done(value) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      value = await read();
    }
    return value;
  };

  it('"Try it": registers a model version, lists it, validates it', async () => {
    const [token, register, list, validate, show] = readmeCommands('### Try it');
    await sh(token);
    const registered = JSON.parse(await sh(register)) as { id: string; name: string };
    expect(registered.name).toBe('sales-intent');
    vars.id = registered.id;
    expect((JSON.parse(await sh(list)) as { items: { id: string }[] }).items.map((m) => m.id)).toContain(registered.id);
    expect(JSON.parse(await sh(validate))).toMatchObject({ workflowId: expect.any(String) });
    // The README registers a path with no artifact behind it: validation says so.
    const validated = await until(
      async () => JSON.parse(await sh(show)) as { status: string },
      (m) => m.status !== 'registered',
      60_000,
    );
    expect(validated.status).toBe('invalid');
  });

  it('"Train a model" → "Deploy it and serve it": trained, promoted, serving, watched', async () => {
    const [token, post, job, logs, models] = readmeCommands('### Train a model');
    await sh(token);
    const started = JSON.parse(await sh(post)) as { jobId: string; status: string };
    expect(started.status).toBe('pending');
    vars.jobId = started.jobId;
    const done = await until(
      async () => JSON.parse(await sh(job)) as { status: string; modelId: string | null },
      (j) => ['completed', 'failed', 'cancelled'].includes(j.status),
      120_000,
    );
    expect(done.status).toBe('completed');
    expect(await sh(logs)).toContain('trainer exited (0)');
    expect((JSON.parse(await sh(models)) as { items: { id: string }[] }).items.map((m) => m.id)).toContain(
      done.modelId,
    );
    vars.modelId = done.modelId!;

    const [deploy, deployment, inference] = readmeCommands('### Deploy it and serve it');
    const rollout = JSON.parse(await sh(deploy)) as { deploymentId: string; workflowId: string };
    expect(rollout.workflowId).toBe('deployment-automotive-sales');
    vars.deploymentId = rollout.deploymentId;
    const finished = await until(
      () => api<{ status: string; reason: string | null }>(`/api/v1/deployments/${rollout.deploymentId}`),
      (d) => !['staging', 'rolling_out'].includes(d.status),
      150_000,
    );
    expect(finished).toMatchObject({ status: 'promoted', reason: null });
    const view = JSON.parse(await sh(deployment)) as {
      status: string;
      decisions: { kind: string; analysis?: { liveRequests: number; probeRequests: number; passed: boolean } }[];
    };
    expect(view.status).toBe('promoted');
    expect(view.decisions.find((d) => d.kind === 'step-analysis')?.analysis).toMatchObject({
      passed: true,
      liveRequests: 0,
    });
    const answer = JSON.parse(await sh(inference)) as {
      modelId: string;
      output: { label: string };
      deploymentId: string;
    };
    expect(answer).toMatchObject({
      modelId: done.modelId,
      deploymentId: rollout.deploymentId,
      output: { label: expect.any(String) },
    });
    // …and watched: the promotion scheduled the specialization's watchdog (its last decision), which judges the new model.
    const decided = await until(
      () => api<{ decisions: { kind: string; message: string }[] }>(`/api/v1/deployments/${rollout.deploymentId}`),
      (d) => d.decisions.some((x) => x.kind === 'watched'),
      30_000,
    );
    expect(decided.decisions.find((d) => d.kind === 'watched')?.message).toBe(
      'watchdog scheduled (watchdog-automotive-sales)',
    );
    const watched = await until(
      () =>
        api<{ running: boolean; state: { primaryDeploymentId: string | null; recentWindows: unknown[] } | null }>(
          '/api/v1/watchdogs/automotive-sales',
        ),
      (w) => w.state?.primaryDeploymentId === rollout.deploymentId && w.state.recentWindows.length > 0,
      60_000,
    );
    expect(watched).toMatchObject({ running: true, state: { primaryDeploymentId: rollout.deploymentId } });
  });
});
