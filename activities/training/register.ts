import { Op, type Sequelize } from 'sequelize';
import { modelsOf } from '../../db/models';
import type { DatasetSummary, Evaluation, RegisteredModel, TrainingPipelineInput, TrainModelResult } from '../../workflows/training-types';

export interface RegisterTrainedModelInput {
  input: TrainingPipelineInput;
  dataset: DatasetSummary;
  trained: TrainModelResult;
  evaluation: Evaluation;
}

/** Integer versions for trained models: the next after the highest integer version of that name. */
function nextVersion(versions: string[]): string {
  const numbers = versions.filter((v) => /^\d+$/.test(v)).map(Number);
  return String((numbers.length ? Math.max(...numbers) : 0) + 1);
}

export function createRegistrationActivities({ sequelize }: { sequelize: Sequelize }) {
  const { ModelRecord, TrainingJob } = modelsOf(sequelize);
  return {
    /**
     * Registers the job's model as the next version of its name. Idempotent: the job id is stored
     * on the model, so a retried or replayed call returns the version it already made. A lock per
     * name keeps two jobs from taking the same version.
     */
    async registerTrainedModel({ input, dataset, trained, evaluation }: RegisterTrainedModelInput): Promise<RegisteredModel> {
      return sequelize.transaction(async (transaction) => {
        await sequelize.query('SELECT pg_advisory_xact_lock(hashtext(:name))', { replacements: { name: `models:${input.name}` }, transaction });
        const existing = await ModelRecord.findOne({ where: { config: { trainingJobId: input.jobId } }, transaction });
        if (existing) return { modelId: existing.id, version: existing.version };
        const siblings = await ModelRecord.findAll({ where: { name: input.name, version: { [Op.regexp]: '^[0-9]+$' } }, attributes: ['version'], transaction });
        const model = await ModelRecord.create(
          {
            name: input.name,
            description: `Trained by job ${input.jobId} (${input.trainer}) on ${dataset.name}`,
            specialization: input.specialization,
            baseModel: input.baseModel,
            version: nextVersion(siblings.map((m) => m.version)),
            modelPath: trained.modelPath,
            config: {
              trainingJobId: input.jobId,
              trainer: input.trainer,
              dataset: dataset.name,
              hyperparameters: input.hyperparameters,
              manifestPath: trained.manifestPath,
              device: trained.device,
            },
            performanceMetrics: { ...trained.metrics, holdoutAccuracy: evaluation.holdoutAccuracy, macroF1: evaluation.macroF1, perLabelAccuracy: evaluation.perLabelAccuracy, meanLatencyMs: evaluation.meanLatencyMs },
            deploymentConfig: null,
            createdBy: (await TrainingJob.findByPk(input.jobId, { transaction }))?.createdBy ?? null,
          },
          { transaction },
        );
        return { modelId: model.id, version: model.version };
      });
    },
  };
}
