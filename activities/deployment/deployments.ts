import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { DeploymentStatus } from '../../db/models';
import type { DeploymentStore } from '../../db/stores/deployments';
import type { ModelStore } from '../../db/stores/models';
import type { RoutingStore } from '../../db/stores/routing';
import { FailureType } from '../../workflows/failures';
import type { AnalysisThresholds, Decision, DeployModelInput, StagedModel, StepAnalysis } from '../../workflows/deployment-types';
import { evaluateArtifact } from '../training/evaluate';
import { insideStorage } from '../../storage/paths';
import { judgeWindow } from './analysis';

export interface DeploymentDeps {
  deployments: DeploymentStore;
  models: ModelStore;
  routing: RoutingStore;
  modelStoragePath: string;
  datasetsDir: string;
}

const DEFAULT_PROBE_DATASET = 'automotive-queries';

export function createDeploymentActivities({ deployments, models, routing, modelStoragePath, datasetsDir }: DeploymentDeps) {
  return {
    /** Idempotent: the API chose the id (and wrote the row already); a retry finds it. */
    async createDeployment(p: { input: DeployModelInput; workflowId: string }): Promise<void> {
      await deployments.record(p.input, p.workflowId);
    },

    /** Appends a decision once: a retry of the same decision (same key) changes nothing. */
    recordDecision: (p: { deploymentId: string; decision: Decision }): Promise<void> => deployments.recordDecision(p.deploymentId, p.decision),

    finishDeployment: (p: { deploymentId: string; status: DeploymentStatus; reason: string }): Promise<void> => deployments.finish(p.deploymentId, p.status, p.reason),

    /**
     * Loads the artifact exactly as serving will (onnxruntime-node), warms it up and runs the probe
     * set through it. A model that fails here fails the deployment before any traffic reaches it.
     */
    async stageModel(p: { modelId: string }): Promise<StagedModel> {
      const model = await models.get(p.modelId);
      if (!model) throw ApplicationFailure.nonRetryable(`model ${p.modelId} does not exist`, FailureType.ModelNotFound);
      if (!model.modelPath) throw ApplicationFailure.nonRetryable('the model has no artifact (model_path)', FailureType.ModelStagingFailed);
      const manifestRelative = typeof model.config?.manifestPath === 'string' ? model.config.manifestPath : path.join(path.dirname(model.modelPath), 'manifest.json');
      const dataset = typeof model.config?.dataset === 'string' ? model.config.dataset : DEFAULT_PROBE_DATASET;
      const started = Date.now();
      try {
        const probe = await evaluateArtifact(insideStorage(modelStoragePath, model.modelPath), insideStorage(modelStoragePath, manifestRelative), path.join(datasetsDir, dataset));
        return { modelId: model.id, modelName: model.name, version: model.version, probeAccuracy: probe.holdoutAccuracy, probeExamples: probe.examples, warmupMs: Date.now() - started };
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`the model cannot be served: ${(err as Error).message}`, FailureType.ModelStagingFailed);
      }
    },

    currentStable: (specialization: string): Promise<string | null> => routing.currentStable(specialization),

    setCanaryWeight: (p: { specialization: string; deploymentId: string; weight: number }): Promise<void> => routing.setCanaryWeight(p),

    /** Takes the canary out of traffic; the stable deployment is untouched. */
    removeCanary: (p: { specialization: string; deploymentId: string }): Promise<void> => routing.removeCanary(p),

    async analyzeCanary(p: { deploymentId: string; since: string; thresholds: AnalysisThresholds; probeAccuracy: number }): Promise<StepAnalysis> {
      return judgeWindow(await deployments.windowStats(p.deploymentId, p.since), p.probeAccuracy, p.thresholds);
    },

    /** A promoted deployment steps down: its backup serves again (idempotent). */
    restoreBackup: (p: { specialization: string; deploymentId: string; reason: string }) => routing.restoreBackup(p),

    /** The new deployment becomes stable; the previous stable is remembered as the backup. Idempotent. */
    promoteDeployment: (p: { specialization: string; deploymentId: string }): Promise<{ backupDeploymentId: string | null }> => routing.promote(p),
  };
}
