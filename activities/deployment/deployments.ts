import path from 'node:path';
import { ApplicationFailure, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createWatchdogSchedule } from '../../temporal/watchdog-schedule';
import type { DeploymentStatus } from '../../db/models';
import type { DeploymentStore } from '../../db/stores/deployments';
import type { ModelStore } from '../../db/stores/models';
import type { RoutingStore } from '../../db/stores/routing';
import { FailureType } from '../../workflows/failures';
import type {
  AnalysisThresholds,
  Decision,
  DeployModelInput,
  StagedModel,
  StepAnalysis,
} from '../../workflows/deployment-types';
import { evaluateArtifact } from '../training/evaluate';
import type { ArtifactCache } from '../../storage/artifact-cache';
import { artifactFiles } from '../../storage/model-files';
import {
  CANARY_PROBE_ROUNDS,
  canaryExtraProbes,
  canaryProbesNeeded,
  judgeCanaryStep,
  type CanaryConfidence,
} from '../../workflows/canary-judgement';
import { addCounts, type EvidenceCounts } from '../../workflows/watchdog/evidence';
import { policyFor } from '../../config/performance-thresholds';
import type { ThresholdsStore } from '../../db/stores/thresholds';
import { MAX_PROBES_PER_CALL, probeCounts } from '../watchdog/observe';
import type { ProbeClient } from '../watchdog/probe-client';

export interface DeploymentDeps {
  deployments: DeploymentStore;
  models: ModelStore;
  routing: RoutingStore;
  thresholds: ThresholdsStore;
  /** Probes through the API's serving path, as the watchdog's. */
  probe: ProbeClient;
  /** For the watchdog's Schedule when a promotion asks for one. */
  temporal: Client | undefined;
  taskQueue: string;
  /** Model files, in place or through this process's cache of the artifact store. */
  artifacts: ArtifactCache;
  datasetsDir: string;
}

const DEFAULT_PROBE_DATASET = 'automotive-queries';

export function createDeploymentActivities({
  deployments,
  models,
  routing,
  thresholds,
  probe,
  temporal,
  taskQueue,
  artifacts,
  datasetsDir,
}: DeploymentDeps) {
  /** Probes of the canary as counts; a probe that cannot be sent (API down) adds nothing, and the step decides on what it has. */
  const probed = async (
    deploymentId: string,
    examples: number,
    slowerThanMs: number,
  ): Promise<EvidenceCounts | null> => {
    let total: EvidenceCounts | null = null;
    for (let left = examples; left > 0; left -= MAX_PROBES_PER_CALL) {
      try {
        const counts = probeCounts(await probe(deploymentId, Math.min(left, MAX_PROBES_PER_CALL)), slowerThanMs);
        total = total ? addCounts(total, counts) : counts;
      } catch (err) {
        log.warn('canary probe failed', { deploymentId, error: (err as Error).message });
        break;
      }
    }
    return total;
  };

  return {
    /** Idempotent: the API chose the id (and wrote the row already); a retry finds it. */
    async createDeployment(p: { input: DeployModelInput; workflowId: string }): Promise<void> {
      await deployments.record(p.input, p.workflowId);
    },

    /** Appends a decision once: a retry of the same decision (same key) changes nothing. */
    recordDecision: (p: { deploymentId: string; decision: Decision }): Promise<void> =>
      deployments.recordDecision(p.deploymentId, p.decision),

    finishDeployment: (p: { deploymentId: string; status: DeploymentStatus; reason: string }): Promise<void> =>
      deployments.finish(p.deploymentId, p.status, p.reason),

    /**
     * Loads the artifact exactly as serving will (onnxruntime-node), warms it up and runs the probe
     * set through it. A model that fails here fails the deployment before any traffic reaches it.
     */
    async stageModel(p: { modelId: string }): Promise<StagedModel> {
      const model = await models.get(p.modelId);
      if (!model) throw ApplicationFailure.nonRetryable(`model ${p.modelId} does not exist`, FailureType.ModelNotFound);
      if (!model.modelPath)
        throw ApplicationFailure.nonRetryable('the model has no artifact (model_path)', FailureType.ModelStagingFailed);
      const manifestPath = typeof model.config?.manifestPath === 'string' ? model.config.manifestPath : null;
      const dataset = typeof model.config?.dataset === 'string' ? model.config.dataset : DEFAULT_PROBE_DATASET;
      const started = Date.now();
      try {
        const files = await artifactFiles(artifacts, {
          modelPath: model.modelPath,
          manifestPath,
          artifactSha256: model.artifact?.sha256 ?? null,
        });
        const probe = await evaluateArtifact(files.modelFile, files.manifestFile, path.join(datasetsDir, dataset));
        return {
          modelId: model.id,
          modelName: model.name,
          version: model.version,
          probeAccuracy: probe.holdoutAccuracy,
          probeExamples: probe.examples,
          warmupMs: Date.now() - started,
        };
      } catch (err) {
        throw ApplicationFailure.nonRetryable(
          `the model cannot be served: ${(err as Error).message}`,
          FailureType.ModelStagingFailed,
        );
      }
    },

    currentStable: (specialization: string): Promise<string | null> => routing.currentStable(specialization),

    setCanaryWeight: (p: { specialization: string; deploymentId: string; weight: number }): Promise<void> =>
      routing.setCanaryWeight(p),

    /** Takes the canary out of traffic; the stable deployment is untouched. */
    removeCanary: (p: { specialization: string; deploymentId: string }): Promise<void> => routing.removeCanary(p),

    /**
     * One canary step judged by evidence: its live traffic since `since`, plus labelled probes
     * through the serving path — enough for an accuracy verdict at every step, and enough requests
     * when live traffic is short (a specialization with no traffic yet still gets its first model).
     * Inconclusive but suspect evidence asks for more probes; only a conclusive breach fails the step.
     */
    async analyzeCanary(p: {
      deploymentId: string;
      since: string;
      thresholds: AnalysisThresholds;
      probeAccuracy: number;
      specialization?: string;
    }): Promise<StepAnalysis> {
      const policy = policyFor((await thresholds.current()).thresholds, p.specialization);
      const confidence: CanaryConfidence = {
        breachConfidence: policy.breachConfidence,
        healthyConfidence: policy.healthyConfidence,
        minLabelled: policy.minLabelled,
        extraProbesPerRound: policy.extraProbes.perRound,
      };
      const slowerThan = p.thresholds.maxP95LatencyMs;
      const window = await deployments.windowStats(p.deploymentId, p.since, slowerThan);
      const live: EvidenceCounts = { ...window, labelled: 0, correct: 0, costPer1kTokens: null };
      let evidence = live;
      const first = await probed(p.deploymentId, canaryProbesNeeded(live, p.thresholds, confidence), slowerThan);
      if (first) evidence = addCounts(evidence, first);
      for (let round = 0; round < CANARY_PROBE_ROUNDS; round++) {
        const wanted = canaryExtraProbes(evidence, p.thresholds, confidence);
        const more = wanted ? await probed(p.deploymentId, wanted, slowerThan) : null;
        if (!more) break;
        evidence = addCounts(evidence, more);
      }
      return judgeCanaryStep(
        { ...evidence, p95LatencyMs: window.p95LatencyMs ?? evidence.p95LatencyMs },
        live,
        p.thresholds,
        confidence,
      );
    },

    /** A promoted deployment steps down: its backup serves again (idempotent). */
    restoreBackup: (p: Parameters<typeof routing.restoreBackup>[0]) => routing.restoreBackup(p),

    /**
     * After a promotion: the specialization gets its watchdog (a Schedule that keeps it alive),
     * unless the deploy request or the thresholds file (`watch: false`) opt out. Idempotent: an
     * existing Schedule, paused or not, is left as it is.
     */
    async watchSpecialization(p: {
      specialization: string;
      requested: boolean;
      by: string;
    }): Promise<{ status: 'created' | 'exists' | 'opted-out'; reason: string }> {
      if (!p.requested)
        return { status: 'opted-out', reason: 'the deploy request asked for no watchdog (watch: false)' };
      const policy = policyFor((await thresholds.current()).thresholds, p.specialization);
      if (!policy.watch)
        return { status: 'opted-out', reason: 'the thresholds file says watch: false for this specialization' };
      if (!temporal) throw new Error('this worker has no Temporal client to schedule a watchdog with');
      const status = await createWatchdogSchedule(temporal, {
        specialization: p.specialization,
        taskQueue,
        note: `created when ${p.by}'s rollout promoted a model`,
      });
      return {
        status,
        reason:
          status === 'created'
            ? `watchdog scheduled (watchdog-${p.specialization})`
            : `already watched (watchdog-${p.specialization})`,
      };
    },

    /** The new deployment becomes stable; the previous stable is remembered as the backup. Idempotent. */
    promoteDeployment: (p: {
      specialization: string;
      deploymentId: string;
    }): Promise<{ backupDeploymentId: string | null }> => routing.promote(p),
  };
}
