import type { Arch } from '@charrnn/train';

/**
 * For each ONNX gate slot, the PyTorch gate block that fills it. PyTorch stacks GRU gates r,z,n
 * and LSTM gates i,f,g,o; the ONNX operator spec stacks W[zrh] and W[iofc].
 */
export const ONNX_GATE_SOURCE: Record<Arch, readonly number[]> = {
  rnn: [0],
  gru: [1, 0, 2],
  lstm: [0, 3, 1, 2],
};

/** Restacks `gates` blocks of `blockSize` values in the order `source` names (see ONNX_GATE_SOURCE). */
export function reorderGateBlocks(data: Float32Array, blockSize: number, source: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  source.forEach((from, to) => out.set(data.subarray(from * blockSize, (from + 1) * blockSize), to * blockSize));
  return out;
}

/** Rows [gate·hidden, (gate+1)·hidden) of a [G·hidden, cols] matrix, transposed to [cols, hidden]. */
export function gateBlockTransposed(data: Float32Array, gate: number, hidden: number, cols: number): Float32Array {
  const out = new Float32Array(cols * hidden);
  for (let r = 0; r < hidden; r++) {
    const row = (gate * hidden + r) * cols;
    for (let c = 0; c < cols; c++) out[c * hidden + r] = data[row + c];
  }
  return out;
}

/** The `gate`-th block of `hidden` values of a stacked bias vector. */
export function gateBias(data: Float32Array, gate: number, hidden: number): Float32Array {
  return data.slice(gate * hidden, (gate + 1) * hidden);
}

/** [rows, cols] → [cols, rows], so that `x · Wᵀ` becomes a plain MatMul(x, Wt). */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
