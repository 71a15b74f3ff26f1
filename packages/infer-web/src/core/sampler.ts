/**
 * Picks the next token from one row of logits: the processors logitsProcessorsFor() builds (the
 * suppressed tokens masked, the caller's processors, the penalties, then temperature, top-k,
 * top-p and min-p), then argmax (temperature 0) or one draw from the softmax with the seeded Rng.
 * Sampling runs in JS in float64 so that it gives the same token on every runtime for the same
 * logits and the same Rng state.
 */
import { logitsProcessorsFor, type LogitsContext, type LogitsProcessor, type SamplingOptions } from './logits-processors.js';
import type { Rng } from './rng.js';

export type SamplerSettings = SamplingOptions;

const NONE: ArrayLike<number> = [];

/** Index of the largest value; the lowest index wins ties, as in numpy/PyTorch argmax. */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = values[offset + i];
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

export class Sampler {
  private readonly row: Float32Array;
  private readonly weights: Float64Array;
  private readonly processors: LogitsProcessor[];
  private readonly context: LogitsContext = { step: 0, row: 0, generated: NONE };
  readonly greedy: boolean;

  constructor(
    readonly vocabSize: number,
    settings: SamplerSettings,
  ) {
    this.row = new Float32Array(vocabSize);
    this.weights = new Float64Array(vocabSize);
    this.greedy = settings.temperature === 0;
    this.processors = logitsProcessorsFor(settings, vocabSize);
  }

  /**
   * Samples from `logits[offset … offset + vocabSize)` without modifying it. `generated`: the
   * ids this row generated so far (the penalties read them).
   */
  sample(logits: Float32Array, offset: number, rng: Rng, step: number, row: number, generated: ArrayLike<number> = NONE): number {
    const v = this.vocabSize;
    // Plain sampling / plain argmax read the caller's row in place: no copy on the hot path.
    if (this.processors.length === 0) {
      return this.greedy ? argmax(logits, offset, v) : sampleSoftmax(logits, rng, offset, v, this.weights);
    }
    const x = this.row;
    for (let i = 0; i < v; i++) x[i] = logits[offset + i];
    this.context.step = step;
    this.context.row = row;
    this.context.generated = generated;
    for (const p of this.processors) p.process(x, this.context);
    return this.greedy ? argmax(x) : sampleSoftmax(x, rng, 0, v, this.weights);
  }
}

/**
 * One draw from softmax(x[offset … offset + length)) by inverting the cumulative sum, in float64;
 * -Infinity entries never win. `scratch` (length ≥ `length`) avoids an allocation per call.
 */
export function sampleSoftmax(
  x: Float32Array,
  rng: Rng,
  offset = 0,
  length = x.length - offset,
  scratch: Float64Array = new Float64Array(length),
): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (x[offset + i] > max) max = x[offset + i];
  if (max === -Infinity || Number.isNaN(max)) return argmax(x, offset, length);
  let total = 0;
  for (let i = 0; i < length; i++) {
    const w = Math.exp(x[offset + i] - max);
    scratch[i] = w;
    total += w;
  }
  const target = rng.nextFloat() * total;
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < length; i++) {
    const w = scratch[i];
    if (w === 0) continue;
    cumulative += w;
    last = i;
    if (target < cumulative) return i;
  }
  return last; // float rounding left target ≥ the final sum: the last possible token
}
