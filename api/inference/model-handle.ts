import type { ArtifactFiles } from '../../storage/model-files';
import type { InferencePool } from './pool';
import type { LoadedModelInfo } from './protocol';

export interface ServedModel {
  modelId: string;
  modelName: string;
  version: string;
  /** Per 1,000 tokens (api/inference/usage.ts priceOf). */
  costPer1kTokens: number;
}

/**
 * One routed model's sessions in the pool. Requests hold it while they run; once the routing no
 * longer names it (retired) and its last request is done, it lets go of the sessions.
 */
export class ModelHandle {
  readonly ready: Promise<LoadedModelInfo>;
  private loadFailedAt: number | undefined;
  private inFlight = 0;
  private retired = false;
  private disposed = false;

  constructor(
    readonly model: ServedModel,
    files: Promise<ArtifactFiles>,
    private readonly pool: InferencePool,
    private readonly onDisposed: (handle: ModelHandle) => void,
  ) {
    this.ready = files.then((local) => pool.load(model.modelId, local));
    this.ready.catch(() => {
      this.loadFailedAt = Date.now();
    });
  }

  /** When loading failed (the router retries after a pause), or undefined. */
  get failedAt(): number | undefined {
    return this.loadFailedAt;
  }

  acquire(): void {
    this.inFlight += 1;
  }

  release(): void {
    this.inFlight -= 1;
    if (this.retired && this.inFlight === 0) this.dispose();
  }

  /** Routed again before its last request finished: keep it. */
  reinstate(): void {
    this.retired = false;
  }

  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) this.dispose();
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDisposed(this);
    // One unload per successful load; a failed load already gave its reference back.
    this.ready.then(
      () => this.pool.unload(this.model.modelId).catch(() => undefined),
      () => undefined,
    );
  }
}
