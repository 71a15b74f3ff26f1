// Small deterministic models and token streams for tests.
import type { Arch, ModelConfig } from '@charrnn/train';
import type { ExportSource } from '../export-source.js';

export function smallConfig(arch: Arch, numLayers: number): ModelConfig {
  return { arch, vocabSize: 13, embeddingDim: 6, hiddenSize: 10, numLayers, dropout: 0 };
}

export function smallVocab(size: number): string[] {
  return Array.from({ length: size }, (_, i) => String.fromCharCode(97 + i));
}

/** Deterministic ids in [0, vocab): a multiplicative hash, so no RNG state is shared between tests. */
export function tokenStream(length: number, vocab: number, salt = 1): Int32Array {
  return Int32Array.from({ length }, (_, i) => Math.imul(i + 1, 2654435761 + salt) >>> 0).map((v) => (v >>> 7) % vocab);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

export type { ExportSource };

/** Uniform weights in ±0.6 from a seeded LCG, shaped like contract 1 (independent of @charrnn/train). */
export function lcgSource(arch: Arch, numLayers: number, seed = 12345): ExportSource {
  const config = smallConfig(arch, numLayers);
  const { vocabSize: V, embeddingDim: E, hiddenSize: H } = config;
  // Gate blocks per layer, written out rather than read from the contract's cell shapes.
  const G = { rnn: 1, gru: 3, lstm: 4 }[arch];
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32 - 0.5) * 1.2;
  };
  const tensor = (shape: number[]) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next) });
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  weights.set('encoder.weight', tensor([V, E]));
  for (let k = 0; k < numLayers; k++) {
    weights.set(`rnn.weight_ih_l${k}`, tensor([G * H, k === 0 ? E : H]));
    weights.set(`rnn.weight_hh_l${k}`, tensor([G * H, H]));
    weights.set(`rnn.bias_ih_l${k}`, tensor([G * H]));
    weights.set(`rnn.bias_hh_l${k}`, tensor([G * H]));
  }
  weights.set('decoder.weight', tensor([V, H]));
  weights.set('decoder.bias', tensor([V]));
  return { config, vocab: smallVocab(V), lower: false, weights };
}
