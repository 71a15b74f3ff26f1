/**
 * The graph signature of contract 2 (docs/onnx-model.md): input and output names, graph kinds, the float
 * precision and the ONNX element types they use.
 */
import type { Arch } from './arch.js';
import { stateNames, type StateName } from './cells.js';

/** Names of the graph inputs and outputs. */
export const IO = {
  /** int64 [seq, batch], time-major token ids. */
  tokens: 'tokens',
  /** [layers, batch, hidden], the state a call starts from. */
  h0: 'h0',
  /** LSTM only: the cell state a call starts from. */
  c0: 'c0',
  /** [seq, batch, vocab], unnormalised. */
  logits: 'logits',
  /** [layers, batch, hidden], the state after the last position; the next call's h0. */
  hn: 'hn',
  /** LSTM only: the next call's c0. */
  cn: 'cn',
} as const;

/** The graph input that feeds each state in and the output that carries it out. */
export const STATE_IO: Readonly<Record<StateName, { input: string; output: string }>> = {
  h: { input: IO.h0, output: IO.hn },
  c: { input: IO.c0, output: IO.cn },
};

/** The recurrent state inputs of a model of `arch`, in the order the contract lists them. */
export function stateInputs(arch: Arch): readonly string[] {
  return stateNames(arch).map((s) => STATE_IO[s].input);
}

/** The recurrent state outputs of a model of `arch` (each the next call's matching input). */
export function stateOutputs(arch: Arch): readonly string[] {
  return stateNames(arch).map((s) => STATE_IO[s].output);
}

/** The float outputs of a model of `arch`. */
export function floatOutputs(arch: Arch): readonly string[] {
  return [IO.logits, ...stateOutputs(arch)];
}

/** How the recurrent layers are written: ONNX RNN operators (any seq), or one-character elementwise cells (seq = 1). */
export type GraphKind = 'fused' | 'step';
export const GRAPH_KINDS: readonly GraphKind[] = ['fused', 'step'];

/**
 * Element type of the state inputs and float outputs (and weights): float32, or all float16
 * (export's `fp16`). A mix is not a charrnn model.
 */
export type Precision = 'float32' | 'float16';
export const PRECISIONS: readonly Precision[] = ['float32', 'float16'];

/** onnx.proto's TensorProto.DataType codes the contract uses. */
export const ELEM_TYPE = { float32: 1, int64: 7, float16: 10 } as const;
