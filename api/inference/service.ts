import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import type { ServingStore } from '../../db/stores/serving';
import type { Config } from '../../config/env';
import type { Logger } from '../../config/logger';
import { ApiError } from '../errors';
import { FaultRegistry } from './faults';
import { InferencePool, PoolBusy } from './pool';
import { InferenceRecorder } from './recorder';
import { ProbeSets, type ProbeResult } from './probe-sets';
import { InferenceRouter, type Target, type Track } from './router';
import { usageOf, type Usage } from './usage';
import type { ServingWindowStats } from './windows';
import type { ArtifactCache } from '../../storage/artifact-cache';

export interface InferenceResult {
  modelId: string;
  modelName: string;
  version: string;
  output: { label: string; scores: Record<string, number> };
  latencyMs: number;
  requestId: string;
  deploymentId: string;
  track: Track;
  usage: Usage;
}

export interface InferenceDeps {
  config: Config;
  serving: ServingStore;
  logger: Logger;
  /** The app's Prometheus registry. */
  registry: Registry;
  /** Model files, from the artifact store in place or through this process's cache. */
  artifacts: ArtifactCache;
}

/** A failure of the model itself (or an injected one): 502, recorded as ok=false. */
class ModelError extends Error {}

const modelError = (target: Target, reason: string) =>
  new ApiError(
    502,
    'model_error',
    `model ${target.handle.model.modelName} ${target.handle.model.version} failed: ${reason}`,
    {
      modelId: target.handle.model.modelId,
      deploymentId: target.deploymentId,
      track: target.track,
    },
  );

/**
 * Inference serving: the routing table picks a deployment, a pool thread runs its model, and every
 * request is recorded. Nothing starts until the first request (or `start()`): an API that serves
 * no inference runs no threads and no poll.
 */
export class InferenceService {
  readonly pool: InferencePool;
  readonly router: InferenceRouter;
  readonly faults = new FaultRegistry();
  private readonly recorder: InferenceRecorder;
  private readonly probeSets: ProbeSets;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: InferenceDeps) {
    this.pool = new InferencePool({ size: deps.config.inferenceThreads, logger: deps.logger });
    this.router = new InferenceRouter({
      serving: deps.serving,
      pool: this.pool,
      artifacts: deps.artifacts,
      logger: deps.logger,
    });
    this.recorder = new InferenceRecorder(deps);
    this.probeSets = new ProbeSets({
      artifacts: deps.artifacts,
      datasetsDir: deps.config.training.datasetsDir,
    });
  }

  start(): Promise<void> {
    return this.router.start();
  }

  async infer(specialization: string, input: string, requestId: string): Promise<InferenceResult> {
    await this.router.start();
    const target = this.router.pick(specialization);
    if (!target) throw await this.nothingServes(specialization);
    target.handle.acquire();
    try {
      return await this.run(target, input, requestId);
    } finally {
      target.handle.release();
    }
  }

  /**
   * Runs `count` labelled examples of the model's probe set through a deployment exactly as
   * requests are served (same threads, same injected faults), whether or not it is routed; each is
   * recorded with track "probe". The watchdog's view of models without live traffic.
   */
  async probe(deploymentId: string, count: number): Promise<ProbeResult> {
    await this.router.start();
    const row = await this.deps.serving.deploymentModel(deploymentId);
    if (!row) throw new ApiError(404, 'not_found', `deployment ${deploymentId} does not exist`);
    const handle = this.router.borrow(row);
    const target: Target = { specialization: row.specialization, deploymentId, track: 'probe', handle };
    try {
      const examples = await this.probeSets.examples(row, count);
      const probeOne = async (example: (typeof examples)[number], i: number) => {
        try {
          const result = await this.run(target, example.text, `probe-${deploymentId.slice(0, 8)}-${Date.now()}-${i}`);
          return {
            ok: true,
            latencyMs: result.latencyMs,
            correct: result.output.label === example.label,
            usage: result.usage,
          };
        } catch (err) {
          if (err instanceof ApiError && err.status === 503) throw err;
          return { ok: false, latencyMs: null, correct: false, usage: null };
        }
      };
      // One probe per inference thread at a time: a round of 100 sent at once would queue behind
      // itself and measure its own queue, reading a healthy model as slow.
      const outcomes: Awaited<ReturnType<typeof probeOne>>[] = [];
      for (let i = 0; i < examples.length; i += this.deps.config.inferenceThreads) {
        outcomes.push(
          ...(await Promise.all(
            examples.slice(i, i + this.deps.config.inferenceThreads).map((e, j) => probeOne(e, i + j)),
          )),
        );
      }
      const answered = outcomes.filter((o) => o.ok);
      const latencies = answered.map((o) => o.latencyMs!).sort((a, b) => a - b);
      return {
        deploymentId,
        modelId: row.modelId,
        requests: outcomes.length,
        errors: outcomes.length - answered.length,
        latenciesMs: latencies,
        labelled: answered.length,
        correct: answered.filter((o) => o.correct).length,
        accuracy: answered.length ? answered.filter((o) => o.correct).length / answered.length : null,
        tokens: answered.reduce((sum, o) => sum + o.usage!.inputTokens + o.usage!.outputTokens, 0),
        costDollars: answered.reduce((sum, o) => sum + o.usage!.costDollars, 0),
      };
    } finally {
      handle.release();
    }
  }

  /** One request on a target the caller holds (acquired): fault, model, record. */
  private async run(target: Target, input: string, requestId: string): Promise<InferenceResult> {
    const { handle, deploymentId, track, specialization } = target;
    const { model } = handle;
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1_000) / 1_000;
    let latencyMs: number | undefined;
    let usage: Usage | undefined;
    let ok = false;
    let recorded = true;
    try {
      const fault = this.faults.get(model.modelId);
      if (fault?.latencyMs) await sleep(fault.latencyMs);
      if (fault && Math.random() < fault.errorRate) throw new ModelError('injected fault');
      const { labels, featurizer } = await handle.ready.catch((err: Error) => {
        throw new ModelError('it could not be loaded', { cause: err });
      });
      const probabilities = await this.pool.run(model.modelId, input);
      latencyMs = elapsed();
      ok = true;
      const output = toOutput(labels, probabilities);
      usage = usageOf(input, output.label, featurizer, model.costPer1kTokens);
      return {
        modelId: model.modelId,
        modelName: model.modelName,
        version: model.version,
        output,
        latencyMs,
        requestId,
        deploymentId,
        track,
        usage,
      };
    } catch (err) {
      if (err instanceof PoolBusy) {
        // Overload (or shutdown) is not the model's fault: answered 503, not held against the deployment.
        recorded = false;
        throw new ApiError(503, 'unavailable', `${err.message}; try again shortly`, undefined, { 'Retry-After': '1' });
      }
      if (err instanceof ModelError) {
        if (err.cause)
          this.deps.logger.warn(
            { modelId: model.modelId, err: (err.cause as Error).message },
            'inference: model not loaded',
          );
        throw modelError(target, err.message);
      }
      this.deps.logger.warn({ modelId: model.modelId, err: (err as Error).message }, 'inference: model run failed');
      throw modelError(target, 'inference error');
    } finally {
      if (recorded)
        this.recorder.record({
          specialization,
          deploymentId,
          modelId: model.modelId,
          track,
          requestId,
          latencyMs: latencyMs ?? elapsed(),
          ok,
          usage,
        });
    }
  }

  /** Requests, errors and latency percentiles of one deployment over the last `windowSeconds`, in this process. */
  getWindowStats(deploymentId: string, windowSeconds: number): ServingWindowStats {
    return this.recorder.getWindowStats(deploymentId, windowSeconds);
  }

  /** Writes the buffered performance_metrics rows now. */
  flushMetrics(): Promise<void> {
    return this.recorder.flush();
  }

  /** Stops the poll, releases the sessions and threads, and writes the last metrics (retried until `deadline`, epoch ms); idempotent. */
  close(deadline?: number): Promise<void> {
    this.closing ??= (async () => {
      await this.router.close();
      await this.pool.close();
      await this.recorder.close(deadline);
    })();
    return this.closing;
  }

  /** 503 when the specialization is known (routing row or a registered model) but nothing serves it; 404 otherwise. */
  private async nothingServes(specialization: string): Promise<ApiError> {
    const known =
      this.router.hasRoutingRow(specialization) || (await this.deps.serving.specializationKnown(specialization));
    if (!known) return new ApiError(404, 'not_found', `no model has specialization ${specialization}`);
    return new ApiError(503, 'unavailable', `no deployment serves ${specialization}; try again shortly`, undefined, {
      'Retry-After': '5',
    });
  }
}

function toOutput(labels: string[], probabilities: Float32Array): InferenceResult['output'] {
  let best = 0;
  const scores: Record<string, number> = {};
  labels.forEach((label, i) => {
    scores[label] = probabilities[i];
    if (probabilities[i] > probabilities[best]) best = i;
  });
  return { label: labels[best], scores };
}
