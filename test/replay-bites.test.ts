import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../temporal/tracing';
import { HISTORIES_DIR } from './helpers/histories';

const ROOT = path.resolve(__dirname, '..');

/**
 * The replay test (replay.test.ts) is only worth something if it fails on a change that would
 * break running workflows. Here the workflows are copied, one gets a new step at its start (an
 * unversioned change, no patched()), and its saved history must no longer replay.
 */
describe('replay catches a nondeterministic change', () => {
  jest.setTimeout(120_000);
  const copy = path.join(ROOT, '.data', `nondeterministic-${process.pid}`);

  beforeAll(() => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // installed by an earlier test file in this Jest worker
    }
    fs.rmSync(copy, { recursive: true, force: true });
    fs.cpSync(path.join(ROOT, 'workflows'), path.join(copy, 'workflows'), { recursive: true });
    const file = path.join(copy, 'workflows', 'validate-model.ts');
    const source = fs.readFileSync(file, 'utf8');
    const changed = source.replace(
      '  const model = await loadModelForValidation(modelId);',
      "  await sleep('1 second');\n  const model = await loadModelForValidation(modelId);",
    );
    expect(changed).not.toBe(source);
    fs.writeFileSync(file, `import { sleep } from '@temporalio/workflow';\n${changed}`);
  });
  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

  it('fails, naming the event, when a step is added without patched()', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(copy, 'workflows'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      logger: new DefaultLogger('WARN'),
    });
    const history = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, 'validate-model-valid.json'), 'utf8'));
    const replay = Worker.runReplayHistory({ workflowBundle: { code } }, history, 'validate-model-valid');
    await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
    // The replay test names the saved history (its test title); the error names the event.
    const err = (await replay.catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /Nondeterminism error: Timer machine does not handle this event: HistoryEvent\(id: 5, ActivityTaskScheduled\)/,
    );
  });
});
