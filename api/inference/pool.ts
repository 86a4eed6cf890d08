import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../config/logger';
import type { ArtifactFiles } from '../../storage/model-files';
import type { LoadedModelInfo, ThreadReply, ThreadRequest } from './protocol';

/** The model (or the thread running it) failed: the caller answers 502, not 500. */
export class ModelFailure extends Error {
  override name = 'ModelFailure';
}

/** Every thread's queue is full, or the pool is closing: the caller answers 503 and the client retries. */
export class PoolBusy extends Error {
  override name = 'PoolBusy';
}

type Request = ThreadRequest extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never;
type Ok = Extract<ThreadReply, { ok: true }>;

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (reply: Ok) => void; reject: (err: Error) => void }>;
  runs: number;
  exited: boolean;
}

/** How long close() waits for a thread to finish its queue and exit before terminating it. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * Source runs through tsx (`npm run api`) or @swc/jest (tests); neither's hooks reach a worker
 * thread on Node 20 (an `--import tsx` execArgv fails on the .ts entry), so the thread registers
 * tsx's CommonJS hooks itself before loading thread.ts. Compiled .js would load directly.
 */
function startThread(): Worker {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `thread${ext}`);
  if (ext !== '.ts') return new Worker(entry);
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();\nrequire(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true, execArgv: [] });
}

export interface PoolOptions {
  size: number;
  logger: Logger;
  /** Requests queued per thread before new ones are refused (PoolBusy). */
  maxQueuePerThread?: number;
}

/**
 * A fixed set of worker threads; each holds a session of every loaded model, so any thread can
 * serve any request and the least busy one gets it. Threads start on the first load; one that dies
 * is replaced and reloads the models.
 */
export class InferencePool {
  private readonly threads: Thread[] = [];
  /** Models loaded in every thread, with how many handles hold each (see ModelHandle). */
  private readonly models = new Map<string, { files: ArtifactFiles; refs: number }>();
  private readonly maxQueue: number;
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: PoolOptions) {
    this.maxQueue = options.maxQueuePerThread ?? 1_000;
  }

  /**
   * Loads (and warms up) the model in every thread, or takes another reference to it; each load is
   * matched by one unload. On failure the reference is dropped again.
   */
  async load(modelId: string, files: ArtifactFiles): Promise<LoadedModelInfo> {
    if (this.closed) throw new ModelFailure('inference pool is closed');
    const entry = this.models.get(modelId);
    if (entry) entry.refs += 1;
    else this.models.set(modelId, { files, refs: 1 });
    while (this.threads.length < this.options.size) this.threads.push(this.spawn());
    try {
      const replies = await Promise.all(this.threads.map((t) => this.call(t, { type: 'load', modelId, ...files })));
      return (replies[0] as { loaded: LoadedModelInfo }).loaded;
    } catch (err) {
      await this.unload(modelId).catch(() => undefined);
      throw err;
    }
  }

  /** Drops a reference; the last one releases the sessions in every thread. */
  async unload(modelId: string): Promise<void> {
    const entry = this.models.get(modelId);
    if (!entry || --entry.refs > 0) return;
    this.models.delete(modelId);
    // Each thread handles messages in order, so a load sent after this unload loads the model afresh.
    await Promise.all(this.threads.map((t) => this.call(t, { type: 'unload', modelId })));
  }

  /** The probabilities of the model's labels for `text`, computed in the least busy thread. */
  async run(modelId: string, text: string): Promise<Float32Array> {
    if (this.closed) throw new PoolBusy('inference is shutting down');
    if (!this.models.has(modelId)) throw new ModelFailure(`model ${modelId} is not loaded`);
    const thread = this.threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best));
    if (thread.pending.size >= this.maxQueue) throw new PoolBusy('every inference thread is busy');
    thread.runs += 1;
    const reply = await this.call(thread, { type: 'run', modelId, text });
    return (reply as { probabilities: Float32Array }).probabilities;
  }

  /** The model ids each thread holds a session for (what the threads say, not what the pool thinks). */
  async sessions(): Promise<string[][]> {
    const replies = await Promise.all(this.threads.map((t) => this.call(t, { type: 'sessions' })));
    return replies.map((r) => (r as { sessions: string[] }).sessions);
  }

  /** Runs each thread has served; for tests and diagnostics. */
  runsPerThread(): number[] {
    return this.threads.map((t) => t.runs);
  }

  /** Lets every thread finish what it was given, release its sessions and exit; idempotent. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= Promise.all(this.threads.splice(0).map((t) => this.stop(t))).then(() => undefined);
    return this.closing;
  }

  /**
   * worker.terminate() in the middle of a native onnxruntime call (create, run, release) aborts the
   * whole process (`terminate called after throwing an instance of 'Napi::Error'`), so a thread is
   * asked to stop after its queue instead; terminate is only the last resort for a hung thread.
   */
  private stop(thread: Thread): Promise<void> {
    if (thread.exited) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger.warn('inference thread did not stop in time; terminating it');
        void thread.worker.terminate().finally(resolve);
      }, STOP_TIMEOUT_MS);
      thread.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.call(thread, { type: 'close' }).catch(() => undefined);
    });
  }

  private call(thread: Thread, request: Request): Promise<Ok> {
    const id = this.nextId++;
    return new Promise<Ok>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ ...request, id });
    });
  }

  private spawn(): Thread {
    const thread: Thread = { worker: startThread(), pending: new Map(), runs: 0, exited: false };
    // Threads never keep the process alive on their own: the HTTP server (or a test) does.
    thread.worker.unref();
    thread.worker.on('message', (reply: ThreadReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (reply.ok) pending?.resolve(reply);
      else pending?.reject(new ModelFailure(reply.error));
    });
    thread.worker.on('error', (err) => this.options.logger.error({ err }, 'inference thread failed'));
    thread.worker.on('exit', (code) => {
      thread.exited = true;
      for (const p of thread.pending.values()) p.reject(new ModelFailure(`inference thread exited (code ${code})`));
      thread.pending.clear();
      const index = this.threads.indexOf(thread);
      if (this.closed || index < 0) return;
      this.options.logger.warn({ code }, 'inference thread exited; starting another');
      const replacement = this.spawn();
      this.threads[index] = replacement;
      for (const [modelId, { files }] of this.models) {
        this.call(replacement, { type: 'load', modelId, ...files }).catch((err: Error) =>
          this.options.logger.error(
            { modelId, err: err.message },
            'reloading a model in a new inference thread failed',
          ),
        );
      }
    });
    return thread;
  }
}
