/**
 * One inference worker thread (see pool.ts). It holds its own onnxruntime sessions, keyed by model
 * id, and handles one message at a time: `session.run` blocks whichever thread calls it, so it
 * must never be the API's event loop. Featurisation happens here too, so a 10,000-character input
 * costs the main thread nothing; the probabilities go back as a transferred buffer.
 */
import fs from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { featurizeInto } from '../../ml/features';
import { parseManifest, type ServingManifest } from './manifest';
import type { ThreadReply, ThreadRequest } from './protocol';

interface Session {
  session: ort.InferenceSession;
  manifest: ServingManifest;
  /** Reused for every request: messages are handled one at a time. */
  features: Float32Array;
}

const port = parentPort;
if (!port) throw new Error('api/inference/thread.ts runs as a worker thread only');

const sessions = new Map<string, Session>();

async function load(modelId: string, modelFile: string, manifestFile: string): Promise<Session> {
  const existing = sessions.get(modelId);
  if (existing) return existing;
  const manifest = parseManifest(await fs.readFile(manifestFile, 'utf8'), manifestFile);
  // The pool is the parallelism: one intra-op thread per session keeps N threads from oversubscribing the cores.
  const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const loaded: Session = { session, manifest, features: new Float32Array(manifest.featurizer.dim) };
  try {
    if (!session.inputNames.includes(manifest.input))
      throw new Error(`model has no input "${manifest.input}" (has ${session.inputNames.join(', ')})`);
    if (!session.outputNames.includes(manifest.output))
      throw new Error(`model has no output "${manifest.output}" (has ${session.outputNames.join(', ')})`);
    await run(loaded, ''); // warm-up: the first run allocates; no request should pay for it
  } catch (err) {
    await session.release();
    throw err;
  }
  sessions.set(modelId, loaded);
  return loaded;
}

async function run(loaded: Session, text: string): Promise<Float32Array> {
  const { session, manifest, features } = loaded;
  featurizeInto(text, features, manifest.featurizer);
  // The native run is synchronous (onnxruntime-node schedules it with setImmediate): it blocks this thread only.
  const out = await session.run({ [manifest.input]: new ort.Tensor('float32', features, [1, features.length]) });
  // A copy we own, so its buffer can be transferred to the main thread.
  const probabilities = Float32Array.from(out[manifest.output].data as Float32Array);
  if (probabilities.length !== manifest.labels.length) {
    throw new Error(`model output has ${probabilities.length} values for ${manifest.labels.length} labels`);
  }
  return probabilities;
}

async function handle(msg: ThreadRequest): Promise<void> {
  try {
    switch (msg.type) {
      case 'load': {
        const loaded = await load(msg.modelId, msg.modelFile, msg.manifestFile);
        return reply({
          id: msg.id,
          ok: true,
          loaded: { labels: loaded.manifest.labels, featurizer: loaded.manifest.featurizer },
        });
      }
      case 'unload': {
        const loaded = sessions.get(msg.modelId);
        sessions.delete(msg.modelId);
        await loaded?.session.release();
        return reply({ id: msg.id, ok: true });
      }
      case 'run': {
        const loaded = sessions.get(msg.modelId);
        if (!loaded) throw new Error(`model ${msg.modelId} is not loaded in this thread`);
        const probabilities = await run(loaded, msg.text);
        return reply({ id: msg.id, ok: true, probabilities }, [probabilities.buffer as ArrayBuffer]);
      }
      case 'sessions':
        return reply({ id: msg.id, ok: true, sessions: [...sessions.keys()] });
      case 'close': {
        for (const loaded of sessions.values()) await loaded.session.release();
        sessions.clear();
        reply({ id: msg.id, ok: true });
        // Nothing else keeps this thread alive: it exits on its own, outside any native call.
        return port!.close();
      }
    }
  } catch (err) {
    reply({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

function reply(message: ThreadReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

// One message at a time, in arrival order: a load finishes before the runs queued behind it, and an
// unload never releases a session in the middle of a run.
let queue = Promise.resolve();
port.on('message', (msg: ThreadRequest) => {
  queue = queue.then(() => handle(msg));
});
