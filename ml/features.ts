/**
 * The featurizer shared by the builtin trainer, evaluation and inference serving (and mirrored in
 * trainers/torch/features.py): hashed unigram+bigram counts, L2-normalised. See trainers/CONTRACT.md.
 */

export interface FeaturizerSpec {
  type: 'hashed-ngrams';
  hash: 'fnv1a32';
  dim: number;
  ngrams: number[];
  lowercase: boolean;
  tokenPattern: string;
  normalize: 'l2';
}

export const DEFAULT_FEATURIZER: FeaturizerSpec = {
  type: 'hashed-ngrams',
  hash: 'fnv1a32',
  dim: 4096,
  ngrams: [1, 2],
  lowercase: true,
  tokenPattern: '[a-z0-9]+',
  normalize: 'l2',
};

const encoder = new TextEncoder();

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function tokenize(text: string, spec: FeaturizerSpec = DEFAULT_FEATURIZER): string[] {
  const source = spec.lowercase ? text.toLowerCase() : text;
  return source.match(new RegExp(spec.tokenPattern, 'g')) ?? [];
}

/** Writes the features of `text` into `out` (length spec.dim), which is zeroed first. */
export function featurizeInto(
  text: string,
  out: Float32Array,
  spec: FeaturizerSpec = DEFAULT_FEATURIZER,
): Float32Array {
  out.fill(0);
  const tokens = tokenize(text, spec);
  for (const n of spec.ngrams) {
    for (let i = 0; i + n <= tokens.length; i++) {
      out[fnv1a32(tokens.slice(i, i + n).join(' ')) % spec.dim] += 1;
    }
  }
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i] * out[i];
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < out.length; i++) out[i] *= scale;
  }
  return out;
}

export function featurize(text: string, spec: FeaturizerSpec = DEFAULT_FEATURIZER): Float32Array {
  return featurizeInto(text, new Float32Array(spec.dim), spec);
}
