import { ANNOUNCED_COST_PER_1K_TOKENS } from '../../config/pricing';
import type { ModelStore } from '../../db/stores/models';
import type {
  DatasetSummary,
  Evaluation,
  RegisteredModel,
  TrainingPipelineInput,
  TrainModelResult,
} from '../../workflows/training-types';

export interface RegisterTrainedModelInput {
  input: TrainingPipelineInput;
  dataset: DatasetSummary;
  trained: TrainModelResult;
  evaluation: Evaluation;
}

export function createRegistrationActivities({ models }: { models: ModelStore }) {
  return {
    /** The job's model as the next version of its name, once (see ModelStore.registerTrained). */
    async registerTrainedModel({
      input,
      dataset,
      trained,
      evaluation,
    }: RegisterTrainedModelInput): Promise<RegisteredModel> {
      return models.registerTrained({
        name: input.name,
        description: `Trained by job ${input.jobId} (${input.trainer}) on ${dataset.name}`,
        specialization: input.specialization,
        baseModel: input.baseModel,
        modelPath: trained.modelPath,
        artifact: trained.artifact,
        config: {
          trainingJobId: input.jobId,
          trainer: input.trainer,
          dataset: dataset.name,
          hyperparameters: input.hyperparameters,
          manifestPath: trained.manifestPath,
          device: trained.device,
          // Its price, stated in its registry entry: serving charges each request by it.
          costPer1kTokens: ANNOUNCED_COST_PER_1K_TOKENS,
        },
        performanceMetrics: {
          ...trained.metrics,
          holdoutAccuracy: evaluation.holdoutAccuracy,
          macroF1: evaluation.macroF1,
          perLabelAccuracy: evaluation.perLabelAccuracy,
          meanLatencyMs: evaluation.meanLatencyMs,
        },
        deploymentConfig: null,
      });
    },
  };
}
