/**
 * Picks the next token from one row of logits: the caller's logits processors, then temperature,
 * top-k and top-p, then argmax (temperature 0) or one draw from the softmax with the seeded Rng.
 * Sampling runs in JS in float64 so that it gives the same token on every runtime for the same
 * logits and the same Rng state.
 */
import type { LogitsContext, LogitsProcessor } from './logits-processors.js';
import { TemperatureProcessor, TopKProcessor, TopPProcessor } from './logits-processors.js';
import type { Rng } from './rng.js';

export interface SamplerSettings {
  temperature: number;
  topK: number;
  topP: number;
  logitsProcessors: readonly LogitsProcessor[];
}

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
  private readonly processors: LogitsProcessor[];
  private readonly context: LogitsContext = { step: 0, row: 0 };
  readonly greedy: boolean;

  constructor(
    readonly vocabSize: number,
    settings: SamplerSettings,
  ) {
    this.row = new Float32Array(vocabSize);
    this.greedy = settings.temperature === 0;
    this.processors = [...settings.logitsProcessors];
    if (!this.greedy) {
      if (settings.temperature !== 1) this.processors.push(new TemperatureProcessor(settings.temperature));
      if (settings.topK > 0 && settings.topK < vocabSize) this.processors.push(new TopKProcessor(settings.topK));
      if (settings.topP < 1) this.processors.push(new TopPProcessor(settings.topP));
    }
  }

  /** Samples from `logits[offset … offset + vocabSize)` without modifying it. */
  sample(logits: Float32Array, offset: number, rng: Rng, step: number, row: number): number {
    const v = this.vocabSize;
    if (this.processors.length === 0 && this.greedy) return argmax(logits, offset, v);
    const x = this.row;
    for (let i = 0; i < v; i++) x[i] = logits[offset + i];
    this.context.step = step;
    this.context.row = row;
    for (const p of this.processors) p.process(x, this.context);
    if (this.greedy) return argmax(x);
    return sampleSoftmax(x, rng);
  }
}

/** One draw from softmax(x) by inverting the cumulative sum; -Infinity entries never win. */
export function sampleSoftmax(x: Float32Array, rng: Rng): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  if (max === -Infinity || Number.isNaN(max)) return argmax(x);
  let total = 0;
  for (let i = 0; i < x.length; i++) total += Math.exp(x[i] - max);
  const target = rng.nextFloat() * total;
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < x.length; i++) {
    const p = Math.exp(x[i] - max);
    if (p === 0) continue;
    cumulative += p;
    last = i;
    if (target < cumulative) return i;
  }
  return last; // float rounding left target ≥ the final sum: the last possible token
}
