// One optimizer step on a flat slice of all parameters, in place: the data-parallel ONNX Runtime
// engine's workers each update their own slice with its SIMD form (simd-step.ts), which runs this
// for the last floats of a range that do not fill four lanes. The math is the training graphs' update
// (ort/training-graph.ts, appendUpdate: torch.optim.Adam/AdamW and SGD with momentum, with or
// without decoupled decay) and is tested to give its values; it runs here, in one pass per slice
// in float64 with each stored value rounded once, because as an onnxruntime graph (twelve
// elementwise ops, each writing a new buffer) the same update of half the lesson GRU's parameters
// cost 3× the CPU time (2.05 ms against 0.69 ms, gradient sum and copies included, load 18).
import { isDecayed } from '../engine/regularization.js';
import type { GraphOptimizer } from '../ort/training-graph.js';

export interface FlatStepScalars {
  lr: number;
  /** Adam's 1 − β1ᵗ and √(1 − β2ᵗ) for this step. */
  biasCorrection1?: number;
  biasCorrection2Sqrt?: number;
  /** clipGradScale's factor for the whole gradient (1 when not clipping). */
  gradScale: number;
  /** AdamW's decoupled decay λ of this range (p·(1 − lr·λ) before the update); 0 or absent for none. */
  weightDecay?: number;
}

/** torch.nn.utils.clip_grad_norm_'s factor: max / (norm + 1e-6) when the norm exceeds `max`, else 1 (also when there is no maximum). */
export function clipGradScale(norm: number, max: number | null): number {
  return max !== null && norm > max ? max / (norm + 1e-6) : 1;
}

/**
 * Updates parameters [from, to) of `params` and of each slot array (Adam: m, v; SGD: the momentum
 * buffer), given the gradient of that range (`grads[0 … to − from)`), decaying all of it by
 * `s.weightDecay`: with decay, call it once per piece of one parameter (decayPieces).
 */
export function flatStep(optimizer: GraphOptimizer, s: FlatStepScalars, params: Float32Array, grads: Float32Array, slots: Float32Array[], from: number, to: number): void {
  // One multiply by 1 when there is no decay: a per-element test of which elements decay made the
  // step 1.4× slower, and a per-element closure 1.9× (lesson GRU's parameters, measured here).
  const keep = 1 - s.lr * (s.weightDecay ?? 0);
  if (optimizer.name === 'adam') adamStep(optimizer, s, keep, params, grads, slots[0], slots[1], from, to);
  else sgdStep(optimizer.momentum, s, keep, params, grads, slots[0], from, to);
}

function adamStep(o: { beta1: number; beta2: number; eps: number }, s: FlatStepScalars, keep: number, params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, from: number, to: number): void {
  const { beta1, beta2 } = o;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const c2Sqrt = s.biasCorrection2Sqrt as number;
  // p ← p − lr/c1 · m / (√v/√c2 + ε) = p − (lr·√c2/c1) · m / (√v + ε·√c2), as the graph writes it.
  const stepSize = (s.lr * c2Sqrt) / (s.biasCorrection1 as number);
  const epsHat = o.eps * c2Sqrt;
  const scale = s.gradScale;
  for (let k = from; k < to; k++) {
    const g = grads[k - from] * scale;
    const mk = beta1 * m[k] + a1 * g;
    const vk = beta2 * v[k] + a2 * g * g;
    m[k] = mk;
    v[k] = vk;
    params[k] = keep * params[k] - (stepSize * mk) / (Math.sqrt(vk) + epsHat);
  }
}

function sgdStep(momentum: number, s: FlatStepScalars, keep: number, params: Float32Array, grads: Float32Array, b: Float32Array, from: number, to: number): void {
  const { lr, gradScale: scale } = s;
  for (let k = from; k < to; k++) {
    const bk = momentum * b[k] + grads[k - from] * scale;
    b[k] = bk;
    params[k] = keep * params[k] - lr * bk;
  }
}

/**
 * [from, to) cut at the parameters' boundaries (flat layout `offsets`), each piece with the decay λ
 * AdamW gives it: `weightDecay` for a weight, 0 for a bias (isDecayed).
 */
export function decayPieces(offsets: ReadonlyMap<string, [number, number]>, from: number, to: number, weightDecay: number): { from: number; to: number; weightDecay: number }[] {
  const pieces: { from: number; to: number; weightDecay: number }[] = [];
  for (const [name, [at, n]] of offsets) {
    const a = Math.max(at, from);
    const b = Math.min(at + n, to);
    if (a < b) pieces.push({ from: a, to: b, weightDecay: isDecayed(name) ? weightDecay : 0 });
  }
  return pieces;
}
