import fs from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ArtifactCheck } from '../workflows/validate-model';

/** Relative model paths are relative to MODEL_STORAGE_PATH; absolute ones are taken as they are. */
export function resolveModelPath(storagePath: string, modelPath: string): string {
  return path.isAbsolute(modelPath) ? modelPath : path.join(storagePath, modelPath);
}

function formatOf(file: string): ArtifactCheck['format'] {
  return path.extname(file).toLowerCase() === '.onnx' ? 'onnx' : 'unknown';
}

/** Does the artifact exist, and — for ONNX — does onnxruntime-node load it? Never throws for a bad artifact. */
export async function checkArtifact(storagePath: string, modelPath: string | null): Promise<ArtifactCheck> {
  const empty = { modelPath, exists: false, sizeBytes: null, format: null, loadable: null, inputNames: [], outputNames: [] };
  if (!modelPath) return { ...empty, error: 'model has no model_path' };
  const file = resolveModelPath(storagePath, modelPath);
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    return { ...empty, error: `artifact not found at ${modelPath}` };
  }
  if (!stat.isFile()) return { ...empty, exists: true, error: `${modelPath} is not a file` };
  const format = formatOf(file);
  const found = { ...empty, exists: true, sizeBytes: stat.size, format };
  if (format !== 'onnx') return { ...found, error: null };
  try {
    const session = await ort.InferenceSession.create(file);
    const names = { inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
    await session.release();
    return { ...found, loadable: true, ...names, error: null };
  } catch (err) {
    return { ...found, loadable: false, error: `onnxruntime could not load it: ${(err as Error).message}` };
  }
}
