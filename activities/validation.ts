import { ApplicationFailure } from '@temporalio/activity';
import type { Sequelize } from 'sequelize';
import { modelsOf } from '../db/models';
import { FailureType } from '../workflows/failures';
import type { ArtifactCheck, ValidateModelResult } from '../workflows/validate-model';
import { checkArtifact } from './model-artifact';

export interface ValidationDeps {
  sequelize: Sequelize;
  modelStoragePath: string;
}

export interface ModelToValidate {
  id: string;
  name: string;
  modelPath: string | null;
}

/** Statuses a validation may move between; a deployed or retired model keeps its status. */
const VALIDATION_STATUSES = ['registered', 'validated', 'invalid'];

export function createValidationActivities({ sequelize, modelStoragePath }: ValidationDeps) {
  const { ModelRecord } = modelsOf(sequelize);
  return {
    async loadModelForValidation(modelId: string): Promise<ModelToValidate> {
      const model = await ModelRecord.findByPk(modelId);
      if (!model) throw ApplicationFailure.nonRetryable(`model ${modelId} does not exist`, FailureType.ModelNotFound);
      return { id: model.id, name: model.name, modelPath: model.modelPath };
    },

    async inspectArtifact(modelPath: string | null): Promise<ArtifactCheck> {
      return checkArtifact(modelStoragePath, modelPath);
    },

    /** Idempotent: a retry writes the same result again. */
    async recordValidation(result: ValidateModelResult): Promise<void> {
      const model = await ModelRecord.findByPk(result.modelId);
      if (!model) throw ApplicationFailure.nonRetryable(`model ${result.modelId} was deleted`, FailureType.ModelNotFound);
      model.validation = { ...result } as unknown as Record<string, unknown>;
      if (VALIDATION_STATUSES.includes(model.status)) model.status = result.valid ? 'validated' : 'invalid';
      await model.save();
    },
  };
}
