import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { listeningPort, serveApi } from '../api/server';
import { signToken } from '../auth/token';
import { startS3Server } from '../support/s3-server';
import { BENCH_SECRET, benchApp, startBenchStack } from './stack';

export interface ArtifactBenchRow {
  store: string;
  bytes: number;
  uploadMBps: number;
  downloadMBps: number;
  /** The process's resident memory (MiB): before the upload, its highest during it, after it. */
  rss: { before: number; peak: number; after: number };
}

const MiB = 1024 * 1024;
const rssMiB = () => process.memoryUsage.rss() / MiB;

/** `bytes` of generated data in 1 MiB chunks, made as they are read: the client holds one at a time. */
function generated(bytes: number): Readable {
  const block = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return void this.push(null);
      const size = Math.min(MiB, bytes - sent);
      sent += size;
      // A fresh first byte per chunk, so no two chunks are the same bytes.
      const chunk = Buffer.from(block.subarray(0, size));
      chunk[0] = sent & 0xff;
      this.push(chunk);
    },
  });
}

/**
 * A multi-GB model upload through the API over HTTP (chunked, as curl --data-binary @file sends a
 * large file), then its download: throughput and the process's memory while it streams. The API,
 * the store and the client share this process, so the RSS is all of them: flat means nothing held
 * the file. Local files (the default store) and an S3-compatible server (moto, which keeps objects
 * in its own memory: a smaller file).
 */
export async function benchArtifacts({
  localBytes = Number(process.env.BENCH_UPLOAD_BYTES ?? 5 * 1024 * MiB),
  s3Bytes = Number(process.env.BENCH_UPLOAD_S3_BYTES ?? 256 * MiB),
} = {}): Promise<ArtifactBenchRow[]> {
  const s3 = await startS3Server().catch(() => undefined);
  const rows: ArtifactBenchRow[] = [];
  try {
    const stores: { name: string; bytes: number; env: Record<string, string> }[] = [
      { name: 'local files (MODEL_STORAGE_PATH)', bytes: localBytes, env: {} },
    ];
    if (s3) {
      const bucket = await s3.bucket(`nw-bench-${Date.now()}`);
      stores.push({
        name: 'S3-compatible (moto server)',
        bytes: s3Bytes,
        env: s3.storeEnv(bucket, 'bench'),
      });
    }
    for (const store of stores) rows.push(await measure(store.name, store.bytes, store.env));
  } finally {
    await s3?.stop();
  }
  return rows;
}

async function measure(name: string, bytes: number, env: Record<string, string>): Promise<ArtifactBenchRow> {
  const { config, sequelize, temporal, close } = await startBenchStack({
    ...env,
    NW_MAX_ARTIFACT_BYTES: String(bytes + MiB),
  });
  const api = benchApp({ config, sequelize, temporal });
  const server = serveApi(api.app.fetch, { port: 0, hostname: '127.0.0.1' });
  const port = await listeningPort(server);
  const authorization = `Bearer ${signToken(BENCH_SECRET, { sub: 'bench', level: 'write', ttlSeconds: 3600 })}`;
  try {
    const model = (await (
      await fetch(`http://127.0.0.1:${port}/api/v1/models/register`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `bench-upload-${Date.now()}`,
          specialization: 'bench',
          baseModel: 'onnx',
          version: '1',
        }),
      })
    ).json()) as { id: string };
    global.gc?.();
    const before = rssMiB();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 50);
    const started = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: `/api/v1/models/${model.id}/artifact`,
          headers: { authorization },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      pipeline(generated(bytes), req).catch(reject);
    });
    const uploadSeconds = (performance.now() - started) / 1000;
    if (status !== 201) throw new Error(`upload answered ${status}`);
    const downloadStarted = performance.now();
    const download = await fetch(`http://127.0.0.1:${port}/api/v1/models/${model.id}/artifact`, {
      headers: { authorization },
    });
    let received = 0;
    for await (const chunk of download.body!) received += (chunk as Uint8Array).length;
    const downloadSeconds = (performance.now() - downloadStarted) / 1000;
    clearInterval(sampler);
    if (received !== bytes) throw new Error(`downloaded ${received} of ${bytes} bytes`);
    return {
      store: name,
      bytes,
      uploadMBps: bytes / MiB / uploadSeconds,
      downloadMBps: bytes / MiB / downloadSeconds,
      rss: { before, peak, after: rssMiB() },
    };
  } finally {
    await new Promise((r) => server.close(r));
    await api.close();
    await close();
  }
}

/** The rows of the README's table. */
export function artifactsTable(rows: ArtifactBenchRow[]): string[] {
  return [
    '| model file upload, then download, through the API over HTTP (generated data; API, store and client in one process) | size | upload MiB/s | download MiB/s | process RSS, MiB: before / peak / after |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.store} | ${(r.bytes / MiB).toLocaleString('en')} MiB | ${r.uploadMBps.toFixed(0)} | ${r.downloadMBps.toFixed(0)} | ${r.rss.before.toFixed(0)} / ${r.rss.peak.toFixed(0)} / ${r.rss.after.toFixed(0)} |`,
    ),
  ];
}

if (require.main === module)
  benchArtifacts()
    .then((rows) => {
      console.log(artifactsTable(rows).join('\n'));
      process.exit(0);
    })
    .catch((err) => {
      console.error(`bench: ${(err as Error).message}`);
      process.exit(1);
    });
