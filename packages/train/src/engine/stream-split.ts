/**
 * Splitting a batch's streams (columns of the time-major [seq, batch] token matrix) between
 * workers, as both engines' data-parallel paths do. The gradient of the batch mean is the sum of
 * each part's gradient of (its NLL sum) / (all targets), so the parts' results simply add up.
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

/**
 * Streams [from, to) of a row-major [groups, batch, width] array: a recurrent state
 * [layers, batch, hidden], or a window's dropout mask [steps·batch, hidden] (groups = steps).
 */
export function stateColumns(state: Float32Array, groups: number, batch: number, width: number, from: number, to: number): Float32Array {
  const streams = to - from;
  const out = new Float32Array(groups * streams * width);
  for (let l = 0; l < groups; l++) out.set(state.subarray((l * batch + from) * width, (l * batch + to) * width), l * streams * width);
  return out;
}

/** Writes `columns` ([groups, to − from, width], as stateColumns returns them) back as streams [from, to) of `state`. */
export function setStateColumns(state: Float32Array, groups: number, batch: number, width: number, from: number, columns: Float32Array): void {
  const streams = columns.length / (groups * width);
  for (let l = 0; l < groups; l++) state.set(columns.subarray(l * streams * width, (l + 1) * streams * width), (l * batch + from) * width);
}
