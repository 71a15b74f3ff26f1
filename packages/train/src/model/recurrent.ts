import * as tf from '@tensorflow/tfjs-core';
import type { Arch } from './config.js';
import { ModelInputError } from './errors.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { matMul } from './matmul.js';
import { rnnCell } from './rnn.js';

/** Hidden state of the whole stack, [layers, batch, hidden]; `c` only for LSTM. */
export interface RecurrentState {
  h: tf.Tensor3D;
  c?: tf.Tensor3D;
}

/** One layer's parameters in PyTorch's layout (weight rows = gate blocks). */
export interface LayerParams {
  weightIh: tf.Tensor2D;
  weightHh: tf.Tensor2D;
  biasIh: tf.Tensor1D;
  biasHh: tf.Tensor1D;
}

export interface LayerOutput {
  /** [seq·batch, hidden], time-major rows (row t·batch + b). */
  output: tf.Tensor2D;
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
}

/**
 * Runs one recurrent layer over a whole sequence. The input projection of every time step is one
 * big matmul; only h·W_hhᵀ is computed step by step. Weights are transposed explicitly once per
 * call so every matmul is untransposed (see matmul.ts for why).
 */
export function recurrentLayer(
  arch: Arch,
  params: LayerParams,
  input: tf.Tensor2D,
  seqLen: number,
  h0: tf.Tensor2D,
  c0?: tf.Tensor2D,
): LayerOutput {
  const xProj = tf.add(matMul(input, tf.transpose(params.weightIh)), params.biasIh) as tf.Tensor2D;
  const steps = seqLen === 1 ? [xProj] : (tf.split(xProj, seqLen, 0) as tf.Tensor2D[]);
  const weightHhT = tf.transpose(params.weightHh);
  let h = h0;
  let c = c0;
  const outputs: tf.Tensor2D[] = [];
  for (const x of steps) {
    const hProj = tf.add(matMul(h, weightHhT), params.biasHh) as tf.Tensor2D;
    if (arch === 'gru') {
      h = gruCell(x, hProj, h);
    } else if (arch === 'rnn') {
      h = rnnCell(x, hProj);
    } else {
      if (!c) throw new ModelInputError('an lstm layer needs a cell state c0 [batch, hidden]');
      ({ h, c } = lstmCell(x, hProj, c));
    }
    outputs.push(h);
  }
  const output = outputs.length === 1 ? outputs[0] : (tf.concat(outputs, 0) as tf.Tensor2D);
  return { output, h, c };
}

/**
 * The stack of `layers.length` layers with dropout between them (not after the last, as
 * PyTorch's `dropout` argument). `dropoutMask(k, shape)` returns the inverted-dropout multiplier
 * for the output of layer k, or null for none.
 */
export function recurrentStack(
  arch: Arch,
  layers: readonly LayerParams[],
  input: tf.Tensor2D,
  seqLen: number,
  state: RecurrentState,
  dropoutMask: ((layer: number, shape: [number, number]) => tf.Tensor2D | null) | null,
): { output: tf.Tensor2D; state: RecurrentState } {
  const h0 = tf.unstack(state.h, 0) as tf.Tensor2D[];
  const c0 = state.c ? (tf.unstack(state.c, 0) as tf.Tensor2D[]) : undefined;
  if (h0.length !== layers.length) {
    throw new ModelInputError(`recurrent state has ${h0.length} layers, expected ${layers.length}`);
  }
  let x = input;
  const hs: tf.Tensor2D[] = [];
  const cs: tf.Tensor2D[] = [];
  layers.forEach((params, k) => {
    if (k > 0 && dropoutMask) {
      const mask = dropoutMask(k - 1, x.shape);
      if (mask) x = tf.mul(x, mask);
    }
    const out = recurrentLayer(arch, params, x, seqLen, h0[k], c0?.[k]);
    x = out.output;
    hs.push(out.h);
    if (out.c) cs.push(out.c);
  });
  const next: RecurrentState = { h: tf.stack(hs, 0) as tf.Tensor3D };
  if (arch === 'lstm') next.c = tf.stack(cs, 0) as tf.Tensor3D;
  return { output: x, state: next };
}
