import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('a process with a bad configuration', () => {
  it('stops with one line naming the variable', async () => {
    const entry = path.resolve(__dirname, '..', 'api', 'main.ts');
    const failure = await run(process.execPath, ['--import', 'tsx', entry], {
      env: { ...process.env, PORT: 'not-a-port' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 78 });
    const lines = (failure as { stderr: string }).stderr.trim().split('\n');
    expect(lines).toEqual(['neuroweaver: invalid configuration: PORT: must be a port number']);
  });
});
