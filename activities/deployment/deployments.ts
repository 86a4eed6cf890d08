import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { Sequelize } from 'sequelize';
import { modelsOf, type DeploymentStatus } from '../../db/models';
import type { DeploymentStore } from '../../db/stores/deployments';
import { FailureType } from '../../workflows/failures';
import type { AnalysisThresholds, Decision, DeployModelInput, StagedModel, StepAnalysis } from '../../workflows/deployment-types';
import { evaluateArtifact } from '../training/evaluate';
import { insideStorage } from '../../storage/paths';
import { deploymentWindowStats, judgeWindow } from './analysis';

export interface DeploymentDeps {
  sequelize: Sequelize;
  deployments: DeploymentStore;
  modelStoragePath: string;
  datasetsDir: string;
}

const DEFAULT_PROBE_DATASET = 'automotive-queries';

export function createDeploymentActivities({ sequelize, deployments, modelStoragePath, datasetsDir }: DeploymentDeps) {
  const { Deployment, ModelRecord, Routing } = modelsOf(sequelize);
  return {
    /** Idempotent: the API chose the id (and wrote the row already); a retry finds it. */
    async createDeployment(p: { input: DeployModelInput; workflowId: string }): Promise<void> {
      await deployments.record(p.input, p.workflowId);
    },

    /** Appends a decision once: a retry of the same decision (same key) changes nothing. */
    async recordDecision(p: { deploymentId: string; decision: Decision }): Promise<void> {
      await sequelize.query(
        `UPDATE deployments SET decisions = decisions || jsonb_build_array(CAST(:decision AS jsonb)), updated_at = NOW()
          WHERE id = :id AND NOT decisions @> jsonb_build_array(jsonb_build_object('key', CAST(:key AS text)))`,
        { replacements: { id: p.deploymentId, decision: JSON.stringify(p.decision), key: p.decision.key } },
      );
    },

    async finishDeployment(p: { deploymentId: string; status: DeploymentStatus; reason: string }): Promise<void> {
      await Deployment.update({ status: p.status, reason: p.reason }, { where: { id: p.deploymentId } });
    },

    /**
     * Loads the artifact exactly as serving will (onnxruntime-node), warms it up and runs the probe
     * set through it. A model that fails here fails the deployment before any traffic reaches it.
     */
    async stageModel(p: { modelId: string }): Promise<StagedModel> {
      const model = await ModelRecord.findByPk(p.modelId);
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

    async currentStable(specialization: string): Promise<string | null> {
      return (await Routing.findByPk(specialization))?.stableDeploymentId ?? null;
    },

    async setCanaryWeight(p: { specialization: string; deploymentId: string; weight: number }): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        const [routing] = await Routing.findOrCreate({ where: { specialization: p.specialization }, defaults: { specialization: p.specialization, stableDeploymentId: null, canaryDeploymentId: null, backupDeploymentId: null, updatedBy: null }, transaction });
        await routing.update({ canaryDeploymentId: p.deploymentId, canaryWeight: p.weight, updatedBy: `deployment:${p.deploymentId}` }, { transaction });
        await Deployment.update({ status: 'rolling_out' }, { where: { id: p.deploymentId }, transaction });
      });
    },

    /** Takes the canary out of traffic; the stable deployment is untouched. */
    async removeCanary(p: { specialization: string; deploymentId: string }): Promise<void> {
      await Routing.update({ canaryDeploymentId: null, canaryWeight: 0, updatedBy: `deployment:${p.deploymentId}` }, { where: { specialization: p.specialization, canaryDeploymentId: p.deploymentId } });
    },

    async analyzeCanary(p: { deploymentId: string; since: string; thresholds: AnalysisThresholds; probeAccuracy: number }): Promise<StepAnalysis> {
      return judgeWindow(await deploymentWindowStats(sequelize, p.deploymentId, p.since), p.probeAccuracy, p.thresholds);
    },

    /** A promoted deployment steps down: its backup serves again (idempotent). */
    async restoreBackup(p: { specialization: string; deploymentId: string; reason: string }): Promise<{ restoredDeploymentId: string | null; restoredModelId: string | null }> {
      return sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(p.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        if (routing?.stableDeploymentId === p.deploymentId) {
          await routing.update({ stableDeploymentId: routing.backupDeploymentId, backupDeploymentId: null, canaryDeploymentId: null, canaryWeight: 0, failoverFromDeploymentId: null, updatedBy: `rollback:${p.deploymentId}` }, { transaction });
          if (routing.stableDeploymentId) await Deployment.update({ status: 'promoted' }, { where: { id: routing.stableDeploymentId }, transaction });
        }
        await Deployment.update({ status: 'rolled_back', reason: p.reason }, { where: { id: p.deploymentId }, transaction });
        const restored = routing?.stableDeploymentId ? await Deployment.findByPk(routing.stableDeploymentId, { transaction }) : null;
        return { restoredDeploymentId: restored?.id ?? null, restoredModelId: restored?.modelId ?? null };
      });
    },

    /** The new deployment becomes stable; the previous stable is remembered as the backup. Idempotent. */
    async promoteDeployment(p: { specialization: string; deploymentId: string }): Promise<{ backupDeploymentId: string | null }> {
      return sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(p.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        if (routing?.stableDeploymentId === p.deploymentId) return { backupDeploymentId: routing.backupDeploymentId };
        const previous = routing?.stableDeploymentId ?? null;
        // A promotion ends any watchdog failover: the new model is the primary from now on.
        const values = { stableDeploymentId: p.deploymentId, canaryDeploymentId: null, canaryWeight: 0, backupDeploymentId: previous, failoverFromDeploymentId: null, updatedBy: `deployment:${p.deploymentId}` };
        if (routing) await routing.update(values, { transaction });
        else await Routing.create({ specialization: p.specialization, ...values }, { transaction });
        const deployment = (await Deployment.findByPk(p.deploymentId, { transaction }))!;
        await deployment.update({ status: 'promoted', deployedAt: new Date(), reason: null }, { transaction });
        await ModelRecord.update({ status: 'deployed' }, { where: { id: deployment.modelId }, transaction });
        if (previous) await Deployment.update({ status: 'superseded' }, { where: { id: previous }, transaction });
        return { backupDeploymentId: previous };
      });
    },
  };
}
