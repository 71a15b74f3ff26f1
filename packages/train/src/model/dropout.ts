import type { Rng } from '@charrnn/data';

/**
 * Inverted dropout: 0 with probability p, else 1/(1−p), drawn from `rng` in row-major order. Every
 * engine draws its masks here, so a seed gives the same run on tfjs and onnxruntime.
 */
export function dropoutMask(rng: Rng, p: number, size: number): Float32Array {
  const values = new Float32Array(size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < values.length; i++) values[i] = rng.next() < p ? 0 : keep;
  return values;
}
