import type * as tf from '@tensorflow/tfjs-core';
import type { StateRecord } from '@charrnn/contract';
import type { Arch } from './config.js';
import { ModelInputError } from './errors.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { rnnCell } from './rnn.js';

/** One layer's state for a batch, [batch, hidden] each: h, and c for a cell that carries it. */
export type LayerState = StateRecord<tf.Tensor2D>;

/** One step of a cell as tfjs ops: the projections x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh and the entering state → the new state. */
export type TfjsCell = (xProj: tf.Tensor2D, hProj: tf.Tensor2D, state: LayerState) => LayerState;

/**
 * The tfjs reference's cells by name: the independent implementation the ONNX Runtime engine's
 * graphs (@charrnn/graph's cell specs) are tested against, so it is written separately from them.
 */
export const TFJS_CELLS: Readonly<Record<Arch, TfjsCell>> = {
  rnn: (xProj, hProj) => ({ h: rnnCell(xProj, hProj) }),
  gru: (xProj, hProj, state) => ({ h: gruCell(xProj, hProj, state.h) }),
  lstm: (xProj, hProj, state) => {
    if (!state.c) throw new ModelInputError('an lstm layer needs a cell state c0 [batch, hidden]');
    return lstmCell(xProj, hProj, state.c);
  },
};
