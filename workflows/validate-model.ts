import { defineQuery, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NwStage } from './search-attributes';

/** Checks that a registered model's artifact exists and loads, and records the result on the model. */

export interface ValidateModelInput {
  modelId: string;
}

export interface ArtifactCheck {
  modelPath: string | null;
  exists: boolean;
  sizeBytes: number | null;
  format: 'onnx' | 'unknown' | null;
  /** Whether onnxruntime-node loaded it; null when the format is not ONNX. */
  loadable: boolean | null;
  inputNames: string[];
  outputNames: string[];
  error: string | null;
}

export interface ValidateModelResult {
  modelId: string;
  valid: boolean;
  check: ArtifactCheck;
  workflowId: string;
  checkedAt: string;
}

export type ValidationStage = 'loading-model' | 'inspecting-artifact' | 'recording' | 'done';

export const validationStageQuery = defineQuery<ValidationStage>('stage');

export const validationWorkflowId = (modelId: string) => `validation-${modelId}`;

const { loadModelForValidation, inspectArtifact, recordValidation } = proxyActivities<Activities>({
  // Loading a large ONNX file can take a while; a hung load is retried rather than waited on forever.
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

export async function validateModel({ modelId }: ValidateModelInput): Promise<ValidateModelResult> {
  let stage: ValidationStage = 'loading-model';
  setHandler(validationStageQuery, () => stage);
  const enter = (next: ValidationStage) => {
    stage = next;
    upsertSearchAttributes([{ key: NwStage, value: next }]);
  };

  const model = await loadModelForValidation(modelId);
  enter('inspecting-artifact');
  const check = await inspectArtifact(model.modelPath);
  const result: ValidateModelResult = {
    modelId,
    valid: check.exists && check.loadable !== false && check.error === null,
    check,
    workflowId: workflowInfo().workflowId,
    checkedAt: new Date().toISOString(),
  };
  enter('recording');
  await recordValidation(result);
  enter('done');
  return result;
}
