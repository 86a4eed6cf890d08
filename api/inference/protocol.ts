import type { FeaturizerSpec } from '../../ml/features';

/** Messages between the inference pool (main thread) and its worker threads (thread.ts). */

export type ThreadRequest =
  | { id: number; type: 'load'; modelId: string; modelFile: string; manifestFile: string }
  | { id: number; type: 'unload'; modelId: string }
  | { id: number; type: 'run'; modelId: string; text: string }
  | { id: number; type: 'sessions' }
  /** Release every session and exit once the messages before it are done (see InferencePool.close). */
  | { id: number; type: 'close' };

/** What a thread learnt when it loaded a model: enough for the main thread to name the scores and count tokens. */
export interface LoadedModelInfo {
  labels: string[];
  featurizer: FeaturizerSpec;
}

export type ThreadReply =
  | { id: number; ok: true; loaded: LoadedModelInfo }
  | { id: number; ok: true; probabilities: Float32Array }
  | { id: number; ok: true; sessions: string[] }
  | { id: number; ok: true }
  | { id: number; ok: false; error: string };
