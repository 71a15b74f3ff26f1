import type * as tf from '@tensorflow/tfjs-core';
import type { LayerState } from '../model/cells.js';
import type { Arch } from '../model/config.js';
import { ModelInputError } from '../model/errors.js';
import { gruWindow } from './gru-window.js';
import { lstmWindow } from './lstm-window.js';
import { rnnWindow } from './rnn-window.js';
import type { LayerWindow, WindowParams } from './window.js';

/** One layer's forward pass over a window with its hand-written backward, from the precomputed input projection `gx` and the entering state. */
export type CellWindow = (params: WindowParams, gx: tf.Tensor2D, initial: LayerState, seqLen: number) => LayerWindow;

/** The fast path's window of each cell by name. */
export const CELL_WINDOWS: Readonly<Record<Arch, CellWindow>> = {
  rnn: (params, gx, initial, seqLen) => rnnWindow(params, gx, initial.h, seqLen),
  gru: (params, gx, initial, seqLen) => gruWindow(params, gx, initial.h, seqLen),
  lstm: (params, gx, initial, seqLen) => {
    if (!initial.c) throw new ModelInputError('an lstm window needs a cell state c0 [batch, hidden]');
    return lstmWindow(params, gx, initial.h, initial.c, seqLen);
  },
};
