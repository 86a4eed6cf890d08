import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ArtifactCache } from '../storage/artifact-cache';
import { checkKey } from '../storage/artifact-store';
import type { ArtifactCheck } from '../workflows/validate-model';

function formatOf(file: string): ArtifactCheck['format'] {
  return path.extname(file).toLowerCase() === '.onnx' ? 'onnx' : 'unknown';
}

/**
 * Does the artifact exist in the store, and — for ONNX — does onnxruntime-node load it (from the
 * store in place, or the cache's copy)? Never throws for a bad artifact; a store that cannot be
 * reached is an error, and the activity is retried.
 */
export async function checkArtifact(artifacts: ArtifactCache, modelPath: string | null): Promise<ArtifactCheck> {
  const empty = {
    modelPath,
    exists: false,
    sizeBytes: null,
    format: null,
    loadable: null,
    inputNames: [],
    outputNames: [],
  };
  if (!modelPath) return { ...empty, error: 'model has no model_path' };
  // Relative to MODEL_STORAGE_PATH and inside it, as the API requires at registration: a row written
  // some other way must not make the worker read (or load) any file on its machine.
  try {
    checkKey(modelPath);
  } catch {
    return { ...empty, error: `${modelPath} is not a path inside MODEL_STORAGE_PATH` };
  }
  const stat = await artifacts.store.stat(modelPath);
  if (!stat) return { ...empty, error: `artifact not found at ${modelPath}` };
  const format = formatOf(modelPath);
  const found = { ...empty, exists: true, sizeBytes: stat.sizeBytes, format };
  if (format !== 'onnx') return { ...found, error: null };
  try {
    const session = await ort.InferenceSession.create(await artifacts.localFile(modelPath));
    const names = { inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
    await session.release();
    return { ...found, loadable: true, ...names, error: null };
  } catch (err) {
    return { ...found, loadable: false, error: `onnxruntime could not load it: ${(err as Error).message}` };
  }
}
