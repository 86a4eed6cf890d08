import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import fs from 'node:fs';
import which from 'which';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const dockerCompose = which.sync('docker-compose', { nothrow: true });
// .ci/run installs Debian's docker-compose; without it (and no engine anyway) there is nothing to check with.
const withCompose = dockerCompose ? it : it.skip;

const config = (env: NodeJS.ProcessEnv) =>
  run(dockerCompose!, ['-f', 'docker-compose.yml', 'config', '-q'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
  });

/** What production must provide: no default password or token anywhere in the file. */
const SECRETS = {
  POSTGRES_PASSWORD: 'pw',
  JWT_SECRET: 'a-production-secret-of-enough-length',
  METRICS_TOKEN: 'a-metrics-token-0123',
  GRAFANA_ADMIN_PASSWORD: 'grafana-pw',
  MINIO_ROOT_PASSWORD: 'minio-admin-pw',
  ARTIFACTS_SECRET_KEY: 'artifacts-app-key',
};

describe('docker-compose.yml', () => {
  withCompose('is a valid compose file when the required secrets are given', async () => {
    await expect(config(SECRETS)).resolves.toBeDefined();
  });

  withCompose.each(Object.keys(SECRETS))('refuses to run without %s', async (missing) => {
    const env: NodeJS.ProcessEnv = { ...SECRETS };
    delete env[missing];
    await expect(config(env)).rejects.toMatchObject({ stderr: expect.stringContaining(`set ${missing}`) });
  });

  it("publishes only the API (through its proxy) and Grafana beyond the host's loopback (Temporal, Prometheus, Alertmanager and Jaeger have no login)", () => {
    const file = parseYaml(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { ports?: (string | { host_ip?: string; published?: string | number })[] }>;
    };
    // The API is published by its proxy (the replicas publish nothing).
    const PUBLIC = new Set(['proxy', 'grafana']);
    const exposed = Object.entries(file.services).flatMap(([service, { ports = [] }]) =>
      ports
        .map((p) =>
          typeof p === 'string'
            ? { hostIp: p.split(':').length === 3 ? p.split(':')[0] : undefined, spec: p }
            : { hostIp: p.host_ip, spec: JSON.stringify(p) },
        )
        .filter((p) => p.hostIp !== '127.0.0.1' && !PUBLIC.has(service))
        .map((p) => `${service} ${p.spec}`),
    );
    expect(exposed).toEqual([]);
    // Temporal's frontend is not published at all, not even on loopback: the tools use the compose network.
    expect(file.services.temporal.ports ?? []).toEqual([]);
  });
});
