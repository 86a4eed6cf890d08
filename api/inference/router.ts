import type { Logger } from '../../config/logger';
import type { ModelRow, RoutingRow, ServingStore } from '../../db/stores/serving';
import { priceOf } from './usage';

export type { ModelRow };
import type { ArtifactCache } from '../../storage/artifact-cache';
import { artifactFiles } from '../../storage/model-files';
import { ModelHandle } from './model-handle';
import type { InferencePool } from './pool';

/** What served a request: live traffic (stable, canary) or a watchdog probe. The routing's `backup` is kept loaded (a hot standby) so a failover serves at once. */
export type Track = 'stable' | 'canary' | 'probe';

/** Where one request goes: a deployment, its track and the model behind it. */
export interface Target {
  specialization: string;
  deploymentId: string;
  track: Track;
  handle: ModelHandle;
}

interface Route {
  canaryWeight: number;
  stable?: Target;
  canary?: Target;
  backup?: Target;
}

/** What loading a model needs (a routing row, or a deployment a probe names). */
/** After a model failed to load, requests get 502 for this long before the next attempt. */
const LOAD_RETRY_MS = 5_000;
/** A model loaded only for probes is released after this long without one. */
const PROBE_IDLE_MS = 60_000;

export interface RouterOptions {
  serving: Pick<ServingStore, 'routingTable'>;
  pool: InferencePool;
  artifacts: ArtifactCache;
  logger: Logger;
  /** How often the routing table is read; a change is served within one interval plus a query. */
  pollIntervalMs?: number;
}

/**
 * The routing table, as serving sees it: read in one query every `pollIntervalMs`, so a change
 * made by a deployment or a watchdog (in another process) is served within the interval. Models
 * that become routed are loaded into the pool at once; models no longer routed are released once
 * their last request finishes. Starts on the first request (or `start()`).
 */
export class InferenceRouter {
  private routes = new Map<string, Route>();
  private readonly handles = new Map<string, ModelHandle>();
  /** Models that are not routed but probed (watchdog backup candidates): modelId → last use. */
  private readonly probed = new Map<string, number>();
  private started: Promise<void> | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private pollFailing = false;

  constructor(private readonly options: RouterOptions) {}

  /** Reads the table once (awaited) and keeps polling it; idempotent. */
  start(): Promise<void> {
    this.started ??= this.refresh().then(() => this.schedule());
    return this.started;
  }

  /** Reads the table now; resolves once the new routing is what requests see. Calls queue up. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.catch(() => undefined).then(() => this.poll());
    return this.refreshing;
  }

  /**
   * The target of one request: the canary with probability canaryWeight/100, else stable. Without
   * a stable deployment a canary with a weight above 0 takes everything (a first rollout).
   */
  pick(specialization: string, random: () => number = Math.random): Target | undefined {
    const route = this.routes.get(specialization);
    if (!route) return undefined;
    if (!route.stable) return route.canary && route.canaryWeight > 0 ? route.canary : undefined;
    if (route.canary && random() * 100 < route.canaryWeight) return route.canary;
    return route.stable;
  }

  /**
   * A handle on any registered model, for probes: the routed one when it is routed, otherwise one
   * loaded for probing and kept while probes keep coming. Call release() when done.
   */
  borrow(row: ModelRow): ModelHandle {
    const handle = this.handles.get(row.modelId) ?? this.handleFor(row);
    if (!this.isRouted(row.modelId)) this.probed.set(row.modelId, Date.now());
    handle.acquire();
    return handle;
  }

  /** Whether a routing row exists for the specialization (even one that routes to nothing). */
  hasRoutingRow(specialization: string): boolean {
    return this.routes.has(specialization);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.refreshing;
    for (const handle of [...this.handles.values()]) handle.retire();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.options.pollIntervalMs ?? 300);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    let rows: RoutingRow[];
    try {
      rows = await this.options.serving.routingTable();
    } catch (err) {
      // Keep serving the last routing we read; say so once per outage.
      if (!this.pollFailing)
        this.options.logger.warn(
          { err: (err as Error).message },
          'inference: reading the routing table failed; serving the last routing',
        );
      this.pollFailing = true;
      return;
    }
    this.pollFailing = false;
    this.apply(rows);
  }

  private apply(rows: RoutingRow[]): void {
    const routes = new Map<string, Route>();
    const routed = new Set<string>();
    for (const row of rows) {
      const route = routes.get(row.specialization) ?? { canaryWeight: row.canaryWeight };
      routes.set(row.specialization, route);
      if (!row.deploymentId || !row.modelId) continue;
      route[row.track] = {
        specialization: row.specialization,
        deploymentId: row.deploymentId,
        track: row.track === 'backup' ? 'stable' : row.track,
        handle: this.handleFor(row),
      };
      routed.add(row.modelId);
    }
    this.routes = routes;
    const now = Date.now();
    for (const [modelId, usedAt] of this.probed)
      if (routed.has(modelId) || now - usedAt > PROBE_IDLE_MS) this.probed.delete(modelId);
    for (const [modelId, handle] of this.handles)
      if (!routed.has(modelId) && !this.probed.has(modelId)) handle.retire();
  }

  private isRouted(modelId: string): boolean {
    for (const route of this.routes.values())
      for (const target of [route.stable, route.canary, route.backup])
        if (target?.handle.model.modelId === modelId) return true;
    return false;
  }

  private handleFor(row: ModelRow): ModelHandle {
    const modelId = row.modelId;
    const existing = this.handles.get(modelId);
    if (existing && (existing.failedAt === undefined || Date.now() - existing.failedAt < LOAD_RETRY_MS)) {
      existing.reinstate();
      return existing;
    }
    existing?.retire();
    // From the store in place, or fetched into the cache once (a replica's first request of a model waits for it).
    const files = artifactFiles(this.options.artifacts, row);
    const handle = new ModelHandle(
      {
        modelId,
        modelName: row.modelName,
        version: row.version,
        costPer1kTokens: priceOf(row.costPer1kTokens === null ? null : Number(row.costPer1kTokens)),
      },
      files,
      this.options.pool,
      (h) => {
        if (this.handles.get(modelId) === h) this.handles.delete(modelId);
      },
    );
    handle.ready.then(
      () => this.options.logger.info({ modelId }, 'inference: model loaded'),
      (err: Error) => this.options.logger.error({ modelId, err: err.message }, 'inference: model failed to load'),
    );
    this.handles.set(modelId, handle);
    return handle;
  }
}
