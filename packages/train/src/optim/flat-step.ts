// One optimizer step on a flat slice of all parameters, in place: the data-parallel ONNX Runtime
// engine's workers each update their own slice with it. The math is the training graphs' update
// (ort/training-graph.ts, appendUpdate: torch.optim.Adam and SGD with momentum) and is tested to
// give its values; it runs here, in one pass per slice in float64 with each stored value rounded
// once, because as an onnxruntime graph (twelve elementwise ops, each writing a new buffer) the
// same update of half the lesson GRU's parameters cost 3× the CPU time (2.05 ms against 0.69 ms,
// gradient sum and copies included, load 18).
import { isDecayed } from '../engine/regularization.js';
import type { GraphOptimizer } from '../ort/training-graph.js';

export interface FlatStepScalars {
  lr: number;
  /** Adam's 1 − β1ᵗ and √(1 − β2ᵗ) for this step. */
  biasCorrection1?: number;
  biasCorrection2Sqrt?: number;
  /** clipGradScale's factor for the whole gradient (1 when not clipping). */
  gradScale: number;
  /** AdamW's decoupled decay λ: each element `decayed` marks starts from p·(1 − lr·λ); default 0. */
  weightDecay?: number;
}

/** torch.nn.utils.clip_grad_norm_'s factor: max / (norm + 1e-6) when the norm exceeds `max`, else 1 (also when there is no maximum). */
export function clipGradScale(norm: number, max: number | null): number {
  return max !== null && norm > max ? max / (norm + 1e-6) : 1;
}

/**
 * Updates parameters [from, to) of `params` and of each slot array (Adam: m, v; SGD: the momentum
 * buffer), given the gradient of that slice (`grads[0 … to − from)`). `decayed` (by flat index:
 * 1 for the weights, 0 for the biases, decayedElements) says where `s.weightDecay` applies.
 */
export function flatStep(
  optimizer: GraphOptimizer,
  s: FlatStepScalars,
  params: Float32Array,
  grads: Float32Array,
  slots: Float32Array[],
  from: number,
  to: number,
  decayed: Uint8Array | null = null,
): void {
  const scale = s.gradScale;
  const keep = 1 - s.lr * (s.weightDecay ?? 0);
  const start = keep !== 1 && decayed !== null ? (k: number) => (decayed[k] ? params[k] * keep : params[k]) : (k: number) => params[k];
  if (optimizer.name === 'adam') {
    const [m, v] = slots;
    const { beta1, beta2 } = optimizer;
    const c1 = s.biasCorrection1 as number;
    const c2Sqrt = s.biasCorrection2Sqrt as number;
    // p ← p − lr/c1 · m / (√v/√c2 + ε) = p − (lr·√c2/c1) · m / (√v + ε·√c2), as the graph writes it.
    const stepSize = (s.lr * c2Sqrt) / c1;
    const epsHat = optimizer.eps * c2Sqrt;
    for (let k = from; k < to; k++) {
      const g = grads[k - from] * scale;
      const mk = beta1 * m[k] + (1 - beta1) * g;
      const vk = beta2 * v[k] + (1 - beta2) * g * g;
      m[k] = mk;
      v[k] = vk;
      params[k] = start(k) - (stepSize * mk) / (Math.sqrt(vk) + epsHat);
    }
  } else {
    const [b] = slots;
    const { momentum } = optimizer;
    for (let k = from; k < to; k++) {
      const bk = momentum * b[k] + grads[k - from] * scale;
      b[k] = bk;
      params[k] = start(k) - s.lr * bk;
    }
  }
}

/** 1 at every element of a weight that AdamW decays (isDecayed: not a bias), 0 elsewhere, in the flat layout of `offsets`. */
export function decayedElements(offsets: ReadonlyMap<string, [number, number]>, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (const [name, [at, n]] of offsets) if (isDecayed(name)) out.fill(1, at, at + n);
  return out;
}
