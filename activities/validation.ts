import { ApplicationFailure } from '@temporalio/activity';
import type { ModelStore } from '../db/stores/models';
import { FailureType } from '../workflows/failures';
import type { ArtifactCheck, ValidateModelResult } from '../workflows/validate-model';
import { checkArtifact } from './model-artifact';
import type { ArtifactCache } from '../storage/artifact-cache';

export interface ValidationDeps {
  models: ModelStore;
  artifacts: ArtifactCache;
}

export interface ModelToValidate {
  id: string;
  name: string;
  modelPath: string | null;
}

/** Statuses a validation may move between; a deployed or retired model keeps its status. */
const VALIDATION_STATUSES = ['registered', 'validated', 'invalid'];

export function createValidationActivities({ models, artifacts }: ValidationDeps) {
  return {
    async loadModelForValidation(modelId: string): Promise<ModelToValidate> {
      const model = await models.get(modelId);
      if (!model) throw ApplicationFailure.nonRetryable(`model ${modelId} does not exist`, FailureType.ModelNotFound);
      return { id: model.id, name: model.name, modelPath: model.modelPath };
    },

    async inspectArtifact(modelPath: string | null): Promise<ArtifactCheck> {
      return checkArtifact(artifacts, modelPath);
    },

    /** Idempotent: a retry writes the same result again. */
    async recordValidation(result: ValidateModelResult): Promise<void> {
      const model = await models.get(result.modelId);
      if (!model)
        throw ApplicationFailure.nonRetryable(`model ${result.modelId} was deleted`, FailureType.ModelNotFound);
      const status = VALIDATION_STATUSES.includes(model.status) ? (result.valid ? 'validated' : 'invalid') : undefined;
      await models.setValidation(result.modelId, { ...result } as unknown as Record<string, unknown>, status);
    },
  };
}
