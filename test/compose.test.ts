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

/** What production must provide: no default password or token anywhere in the file. */
const SECRETS = { POSTGRES_PASSWORD: 'pw', JWT_SECRET: 'a-production-secret-of-enough-length', METRICS_TOKEN: 'a-metrics-token-0123', GRAFANA_ADMIN_PASSWORD: 'grafana-pw' };

describe('docker-compose.yml', () => {
  withCompose('is a valid compose file when the required secrets are given', async () => {
    await expect(config(SECRETS)).resolves.toBeDefined();
  });

  withCompose.each(Object.keys(SECRETS))('refuses to run without %s', async (missing) => {
    const env: NodeJS.ProcessEnv = { ...SECRETS };
    delete env[missing];
    await expect(config(env)).rejects.toMatchObject({ stderr: expect.stringContaining(`set ${missing}`) });
  });
});
