import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../config/logger';
import { artifactFiles } from './manifest';
import { ModelHandle } from './model-handle';
import type { InferencePool } from './pool';

export type Track = 'stable' | 'canary';

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
}

/** One row per (routing row, track): the deployment and model behind each of stable and canary. */
interface RoutingRow {
  specialization: string;
  canaryWeight: number;
  track: Track;
  deploymentId: string | null;
  modelId: string | null;
  modelName: string | null;
  version: string | null;
  modelPath: string | null;
  manifestPath: string | null;
}

const ROUTING_QUERY = `
  SELECT r.specialization, r.canary_weight AS "canaryWeight", t.track,
         d.id AS "deploymentId", m.id AS "modelId", m.name AS "modelName", m.version,
         m.model_path AS "modelPath", m.config->>'manifestPath' AS "manifestPath"
  FROM routing r
  CROSS JOIN LATERAL (VALUES ('stable', r.stable_deployment_id), ('canary', r.canary_deployment_id)) AS t(track, deployment_id)
  LEFT JOIN deployments d ON d.id = t.deployment_id
  LEFT JOIN models m ON m.id = d.model_id`;

/** After a model failed to load, requests get 502 for this long before the next attempt. */
const LOAD_RETRY_MS = 5_000;

export interface RouterOptions {
  sequelize: Sequelize;
  pool: InferencePool;
  modelStoragePath: string;
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
      rows = await this.options.sequelize.query<RoutingRow>(ROUTING_QUERY, { type: QueryTypes.SELECT });
    } catch (err) {
      // Keep serving the last routing we read; say so once per outage.
      if (!this.pollFailing) this.options.logger.warn({ err: (err as Error).message }, 'inference: reading the routing table failed; serving the last routing');
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
      route[row.track] = { specialization: row.specialization, deploymentId: row.deploymentId, track: row.track, handle: this.handleFor(row) };
      routed.add(row.modelId);
    }
    this.routes = routes;
    for (const [modelId, handle] of this.handles) if (!routed.has(modelId)) handle.retire();
  }

  private handleFor(row: RoutingRow): ModelHandle {
    const modelId = row.modelId!;
    const existing = this.handles.get(modelId);
    if (existing && (existing.failedAt === undefined || Date.now() - existing.failedAt < LOAD_RETRY_MS)) {
      existing.reinstate();
      return existing;
    }
    existing?.retire();
    let files;
    try {
      files = artifactFiles(this.options.modelStoragePath, row.modelPath, row.manifestPath);
    } catch (err) {
      files = err as Error;
    }
    const handle = new ModelHandle({ modelId, modelName: row.modelName!, version: row.version! }, files, this.options.pool, (h) => {
      if (this.handles.get(modelId) === h) this.handles.delete(modelId);
    });
    handle.ready.then(
      () => this.options.logger.info({ modelId, specialization: row.specialization }, 'inference: model loaded'),
      (err: Error) => this.options.logger.error({ modelId, specialization: row.specialization, err: err.message }, 'inference: model failed to load'),
    );
    this.handles.set(modelId, handle);
    return handle;
  }
}
