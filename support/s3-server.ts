import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports';

/** Credentials the emulator accepts (any); the AWS SDK reads them from the environment. */
export const S3_TEST_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'neuroweaver-test', AWS_SECRET_ACCESS_KEY: 'neuroweaver-test' };

export interface S3TestServer {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_S3. */
  endpoint: string;
  /** Creates a bucket and returns its name. */
  bucket: (name: string) => Promise<string>;
  /** The environment that points NeuroWeaver's artifact store at `s3://bucket/prefix` on this server. */
  storeEnv: (bucket: string, prefix: string) => Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * An S3-compatible server for tests and local runs: moto's server (PyPI `moto[server]`, pinned in
 * test/requirements.txt), a separate process speaking the S3 REST API — multipart uploads and
 * ranged reads included — on a port of its own. Production points ARTIFACT_STORE_URL at S3 or
 * MinIO (docker-compose.yml).
 */
export async function startS3Server(python = process.env.NW_PYTHON ?? 'python3'): Promise<S3TestServer> {
  try {
    // Not execFileSync: the caller's process may be serving and holding database connections meanwhile.
    await promisify(execFile)(python, ['-c', 'import moto.server']);
  } catch {
    throw new Error('moto is not installed: pip install -r test/requirements.txt');
  }
  Object.assign(process.env, S3_TEST_CREDENTIALS);
  const port = await freePort();
  const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-4_000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not answer on ${endpoint} within 30 s: ${stderr}`);
    }
    await sleep(200);
  }
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true });
  return {
    endpoint,
    bucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    storeEnv: (bucket, prefix) => ({
      ARTIFACT_STORE_URL: `s3://${bucket}/${prefix}`,
      AWS_ENDPOINT_URL_S3: endpoint,
      ...S3_TEST_CREDENTIALS,
    }),
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
