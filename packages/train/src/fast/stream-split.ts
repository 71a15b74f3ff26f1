/**
 * Splitting a batch's streams (columns of the time-major [seq, batch] token matrix) between
 * workers. The gradient of the batch mean is the sum of each part's gradient of
 * (its NLL sum) / (all targets), so the parts' results simply add up.
 */

/** Stream ranges [from, to) of `parts` near-equal parts of `batch` streams (no empty part). */
export function streamRanges(batch: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, batch));
  return Array.from({ length: n }, (_, i) => [Math.floor((i * batch) / n), Math.floor(((i + 1) * batch) / n)] as [number, number]);
}

/** Columns [from, to) of a time-major [seqLen, batch] id matrix. */
export function tokenColumns(ids: Int32Array, seqLen: number, batch: number, from: number, to: number): Int32Array {
  const width = to - from;
  const out = new Int32Array(seqLen * width);
  for (let t = 0; t < seqLen; t++) out.set(ids.subarray(t * batch + from, t * batch + to), t * width);
  return out;
}

/** Streams [from, to) of a [layers, batch, hidden] state, row-major. */
export function stateColumns(state: Float32Array, layers: number, batch: number, hidden: number, from: number, to: number): Float32Array {
  const width = to - from;
  const out = new Float32Array(layers * width * hidden);
  for (let l = 0; l < layers; l++) out.set(state.subarray((l * batch + from) * hidden, (l * batch + to) * hidden), l * width * hidden);
  return out;
}
