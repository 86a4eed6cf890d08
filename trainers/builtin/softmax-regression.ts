/** A sparse feature vector: the nonzero (index, value) pairs of a featurized text. */
export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

export function toSparse(dense: Float32Array): SparseVector {
  const indices: number[] = [];
  const values: number[] = [];
  dense.forEach((v, i) => {
    if (v !== 0) {
      indices.push(i);
      values.push(v);
    }
  });
  return { indices: Uint32Array.from(indices), values: Float32Array.from(values) };
}

/**
 * Multinomial logistic regression trained with minibatch SGD and L2 decay. Weights are
 * [dim × labels] row-major, the layout the ONNX MatMul expects.
 */
export class SoftmaxRegression {
  readonly weights: Float32Array;
  readonly bias: Float32Array;

  constructor(
    readonly dim: number,
    readonly numLabels: number,
    weights?: Float32Array,
    bias?: Float32Array,
  ) {
    this.weights = weights ?? new Float32Array(dim * numLabels);
    this.bias = bias ?? new Float32Array(numLabels);
  }

  probabilities(x: SparseVector, out = new Float64Array(this.numLabels)): Float64Array {
    const C = this.numLabels;
    for (let c = 0; c < C; c++) out[c] = this.bias[c];
    for (let k = 0; k < x.indices.length; k++) {
      const row = x.indices[k] * C;
      const v = x.values[k];
      for (let c = 0; c < C; c++) out[c] += v * this.weights[row + c];
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, out[c]);
    let sum = 0;
    for (let c = 0; c < C; c++) {
      out[c] = Math.exp(out[c] - max);
      sum += out[c];
    }
    for (let c = 0; c < C; c++) out[c] /= sum;
    return out;
  }

  predict(x: SparseVector): number {
    const p = this.probabilities(x);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    return best;
  }

  /** One SGD step on a minibatch; returns its mean cross-entropy. */
  trainBatch(batch: { x: SparseVector; label: number }[], learningRate: number, l2: number): number {
    const C = this.numLabels;
    const gradBias = new Float64Array(C);
    const gradW = new Map<number, Float64Array>();
    const p = new Float64Array(C);
    let loss = 0;
    for (const { x, label } of batch) {
      this.probabilities(x, p);
      loss -= Math.log(Math.max(p[label], 1e-12));
      p[label] -= 1; // dLoss/dLogits
      for (let c = 0; c < C; c++) gradBias[c] += p[c];
      for (let k = 0; k < x.indices.length; k++) {
        let g = gradW.get(x.indices[k]);
        if (!g) gradW.set(x.indices[k], (g = new Float64Array(C)));
        for (let c = 0; c < C; c++) g[c] += x.values[k] * p[c];
      }
    }
    const step = learningRate / batch.length;
    // L2 decay applied lazily to the rows this batch touched keeps a step O(nonzeros).
    for (const [index, g] of gradW) {
      const row = index * C;
      for (let c = 0; c < C; c++) this.weights[row + c] -= step * g[c] + learningRate * l2 * this.weights[row + c];
    }
    for (let c = 0; c < C; c++) this.bias[c] -= step * gradBias[c];
    return loss / batch.length;
  }

  accuracy(examples: { x: SparseVector; label: number }[]): number {
    let correct = 0;
    for (const e of examples) if (this.predict(e.x) === e.label) correct++;
    return examples.length ? correct / examples.length : 0;
  }

  meanLoss(examples: { x: SparseVector; label: number }[]): number {
    let loss = 0;
    const p = new Float64Array(this.numLabels);
    for (const e of examples) loss -= Math.log(Math.max(this.probabilities(e.x, p)[e.label], 1e-12));
    return examples.length ? loss / examples.length : 0;
  }
}

/** mulberry32: a small seeded PRNG whose whole state is one uint32 (easy to checkpoint). */
export class SeededRandom {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
