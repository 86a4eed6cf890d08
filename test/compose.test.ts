import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import which from 'which';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const dockerCompose = which.sync('docker-compose', { nothrow: true });
// .ci/run installs Debian's docker-compose; without it (and no engine anyway) there is nothing to check with.
const withCompose = dockerCompose ? it : it.skip;

const config = (env: NodeJS.ProcessEnv) =>
  run(dockerCompose!, ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } });

describe('docker-compose.yml', () => {
  withCompose('is a valid compose file when the required secrets are given', async () => {
    await expect(config({ POSTGRES_PASSWORD: 'pw', JWT_SECRET: 'a-production-secret-of-enough-length' })).resolves.toBeDefined();
  });

  withCompose.each(['POSTGRES_PASSWORD', 'JWT_SECRET'])('refuses to run without %s', async (missing) => {
    const env: NodeJS.ProcessEnv = { POSTGRES_PASSWORD: 'pw', JWT_SECRET: 'a-production-secret-of-enough-length' };
    delete env[missing];
    await expect(config(env)).rejects.toMatchObject({ stderr: expect.stringContaining(`set ${missing}`) });
  });
});
