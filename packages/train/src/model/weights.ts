import { Rng } from '@charrnn/data';
import { expectedShapes, type ModelConfig } from './config.js';

/** One float32 tensor, row-major, in PyTorch's layout. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** A model's parameters keyed by PyTorch state_dict name (encoder.weight, rnn.weight_ih_l0, …). */
export type Weights = Map<string, NamedTensor>;

export class WeightsError extends Error {
  override name = 'WeightsError';
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * name → [offset, size] of each parameter when all of them lie end to end in state_dict order: the
 * flat layout of the data-parallel engines' shared buffers.
 */
export function paramOffsets(config: ModelConfig): Map<string, [number, number]> {
  return flatOffsets(expectedShapes(config));
}

/** name → [offset, size] of each tensor of `shapes`, end to end in their order. */
export function flatOffsets(shapes: ReadonlyMap<string, readonly number[]>): Map<string, [number, number]> {
  const offsets = new Map<string, [number, number]>();
  let at = 0;
  for (const [name, shape] of shapes) {
    const size = shapeSize(shape);
    offsets.set(name, [at, size]);
    at += size;
  }
  return offsets;
}

export function paramCount(config: ModelConfig): number {
  let n = 0;
  for (const [, size] of paramOffsets(config).values()) n += size;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Everything wrong with `weights` for `config`, one sentence per tensor
 * ("rnn.weight_hh_l0 has shape [256,768], expected [768,256]"); empty when they fit.
 */
export function weightProblems(config: ModelConfig, weights: ReadonlyMap<string, { shape: number[]; data: ArrayLike<number> }>): string[] {
  const expected = expectedShapes(config);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const tensor = weights.get(name);
    if (!tensor) {
      problems.push(`${name} is missing, expected shape ${formatShape(shape)}`);
      continue;
    }
    const same = tensor.shape.length === shape.length && tensor.shape.every((d, i) => d === shape[i]);
    if (!same) {
      problems.push(`${name} has shape ${formatShape(tensor.shape)}, expected ${formatShape(shape)}`);
    } else if (tensor.data.length !== shapeSize(shape)) {
      problems.push(`${name} has ${tensor.data.length} values, expected ${shapeSize(shape)} for shape ${formatShape(shape)}`);
    }
  }
  for (const name of weights.keys()) {
    if (!expected.has(name)) {
      problems.push(`${name} is not a parameter of a ${config.numLayers}-layer ${config.arch} (expected names: ${[...expected.keys()].join(', ')})`);
    }
  }
  return problems;
}

/** Throws WeightsError listing every mismatch between `weights` and the contract for `config`. */
export function validateWeights(config: ModelConfig, weights: Weights): void {
  const problems = weightProblems(config, weights);
  if (problems.length > 0) {
    throw new WeightsError(`weights do not fit the ${config.arch} config: ${problems.join('; ')}`);
  }
}

/**
 * PyTorch's default initialisation for nn.Embedding (normal(0, 1)), nn.RNN/GRU/LSTM (every weight
 * and bias uniform(±1/√hidden)) and nn.Linear (kaiming_uniform with a=√5, which is uniform(±1/√fan_in),
 * fan_in = hidden, for weight and bias), so the lesson's learning rates mean the same here.
 * Deterministic in `seed`; tensors are drawn in state_dict order.
 */
export function randomWeights(config: ModelConfig, seed: number): Weights {
  const rng = new Rng(seed);
  const bound = 1 / Math.sqrt(config.hiddenSize);
  const weights: Weights = new Map();
  for (const [name, shape] of expectedShapes(config)) {
    const data = new Float32Array(shapeSize(shape));
    if (name === 'encoder.weight') {
      for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, 1);
    } else {
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) * bound;
    }
    weights.set(name, { shape: [...shape], data });
  }
  return weights;
}

/** Row-major flat index → its coordinates in `shape`. */
export function coordinatesOf(flat: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    index.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

/** "name has 3 (NaN ×2, -Infinity ×1), the first at [0,5]", or undefined when every value is finite. */
export function nonFiniteProblem(name: string, tensor: { shape: readonly number[]; data: ArrayLike<number> }): string | undefined {
  const counts = new Map<string, number>();
  let first = -1;
  for (let i = 0; i < tensor.data.length; i++) {
    const v = tensor.data[i];
    if (Number.isFinite(v)) continue;
    if (first < 0) first = i;
    counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  }
  if (first < 0) return undefined;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const index = coordinatesOf(first, tensor.shape);
  const kinds = ['NaN', 'Infinity', '-Infinity'].flatMap((kind) => (counts.has(kind) ? [`${kind} ×${counts.get(kind)}`] : [])).join(', ');
  return `${name} has ${total} (${kinds}), the first at [${index.join(',')}]`;
}

/**
 * The start of a run whose decoder is tied to its embedding: `weights` with encoder.weight
 * replaced by a copy of decoder.weight. The shared matrix starts as nn.Linear's uniform(±1/√hidden)
 * rather than nn.Embedding's normal(0, 1), whose logits would start ~√hidden times too large; the
 * word-language-model recipes that tie (Press & Wolf 2017, AWD-LSTM) likewise start it small.
 * Draws nothing, so the other tensors are those of the untied run of the same seed.
 */
export function tiedWeights(weights: Weights): Weights {
  const decoder = weights.get('decoder.weight');
  const encoder = weights.get('encoder.weight');
  if (!decoder || !encoder) throw new WeightsError('tiedWeights needs encoder.weight and decoder.weight');
  if (decoder.data.length !== encoder.data.length) {
    throw new WeightsError(`tying needs encoder.weight and decoder.weight of one shape, got ${formatShape(encoder.shape)} and ${formatShape(decoder.shape)} (embedding size must equal hidden size)`);
  }
  const tied = new Map(weights);
  tied.set('encoder.weight', { shape: [...encoder.shape], data: Float32Array.from(decoder.data) });
  return tied;
}
