import fs from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { insideStorage } from '../storage/paths';
import type { ArtifactCheck } from '../workflows/validate-model';

function formatOf(file: string): ArtifactCheck['format'] {
  return path.extname(file).toLowerCase() === '.onnx' ? 'onnx' : 'unknown';
}

/** Does the artifact exist, and — for ONNX — does onnxruntime-node load it? Never throws for a bad artifact. */
export async function checkArtifact(storagePath: string, modelPath: string | null): Promise<ArtifactCheck> {
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
  let file: string;
  try {
    file = insideStorage(storagePath, modelPath);
  } catch {
    return { ...empty, error: `${modelPath} is not a path inside MODEL_STORAGE_PATH` };
  }
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
