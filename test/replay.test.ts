import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { testServices } from './helpers/env';
import { HISTORIES_DIR } from './helpers/histories';

const files = fs.existsSync(HISTORIES_DIR)
  ? fs
      .readdirSync(HISTORIES_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

/**
 * Every saved history must replay against today's workflow code: a change that would break a
 * running workflow fails here with the workflow and the event named. Re-record with
 * `NW_RECORD_HISTORIES=1 npx jest` only for a deliberate change behind patched().
 */
describe('replay of saved workflow histories', () => {
  beforeAll(() => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // installed by an earlier test file in this Jest worker
    }
  });

  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const history = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: testServices().workflowBundlePath } },
      history,
      path.basename(file, '.json'),
    );
  });
});
