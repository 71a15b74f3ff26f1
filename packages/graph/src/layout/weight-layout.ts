import { ARCHS, gateCount, type Arch } from '@charrnn/contract';
import { CELLS } from '../cells/registry.js';

/**
 * For each ONNX gate slot, the PyTorch gate block that fills it (each cell spec's
 * onnx.gateSource). PyTorch stacks GRU gates r,z,n and LSTM gates i,f,g,o; the ONNX operator
 * spec stacks W[zrh] and W[iofc].
 */
export const ONNX_GATE_SOURCE: Readonly<Record<Arch, readonly number[]>> = Object.fromEntries(ARCHS.map((a) => [a, CELLS[a].onnx.gateSource])) as Record<Arch, readonly number[]>;

/** Restacks `gates` blocks of `blockSize` values in the order `source` names (see ONNX_GATE_SOURCE). */
export function reorderGateBlocks(data: Float32Array, blockSize: number, source: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  source.forEach((from, to) => out.set(data.subarray(from * blockSize, (from + 1) * blockSize), to * blockSize));
  return out;
}

/** [rows, cols] → [cols, rows], so that `x · Wᵀ` becomes a plain MatMul(x, Wt). */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** One layer's weights as an ONNX RNN/GRU/LSTM node takes them (num_directions = 1). */
export interface OnnxRecurrentWeights {
  /** [1, G·hidden, input]. */
  W: Float32Array;
  /** [1, G·hidden, hidden]. */
  R: Float32Array;
  /** [1, 2·G·hidden]: the input biases, then the recurrent biases. */
  B: Float32Array;
}

/**
 * PyTorch's weight_ih/weight_hh/bias_ih/bias_hh of one layer ([G·hidden, input], [G·hidden,
 * hidden], [G·hidden] twice: the same row-major layout ONNX uses) with their gate blocks restacked
 * in ONNX's order.
 */
export function onnxRecurrentWeights(
  arch: Arch,
  hidden: number,
  inputSize: number,
  pytorch: { weightIh: Float32Array; weightHh: Float32Array; biasIh: Float32Array; biasHh: Float32Array },
): OnnxRecurrentWeights {
  const order = ONNX_GATE_SOURCE[arch];
  const G = gateCount(arch);
  const B = new Float32Array(2 * G * hidden);
  B.set(reorderGateBlocks(pytorch.biasIh, hidden, order), 0);
  B.set(reorderGateBlocks(pytorch.biasHh, hidden, order), G * hidden);
  return {
    W: reorderGateBlocks(pytorch.weightIh, hidden * inputSize, order),
    R: reorderGateBlocks(pytorch.weightHh, hidden * hidden, order),
    B,
  };
}
