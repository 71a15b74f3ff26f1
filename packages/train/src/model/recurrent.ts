import * as tf from '@tensorflow/tfjs-core';
import { mapStates, stateNames, type StateName } from '@charrnn/contract';
import { TFJS_CELLS, type LayerState } from './cells.js';
import type { Arch } from './config.js';
import { ModelInputError } from './errors.js';
import { matMul } from './matmul.js';

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

export interface LayerOutput extends LayerState {
  /** [seq·batch, hidden], time-major rows (row t·batch + b). */
  output: tf.Tensor2D;
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
  initial: LayerState,
): LayerOutput {
  const cell = TFJS_CELLS[arch];
  const xProj = tf.add(matMul(input, tf.transpose(params.weightIh)), params.biasIh) as tf.Tensor2D;
  const steps = seqLen === 1 ? [xProj] : (tf.split(xProj, seqLen, 0) as tf.Tensor2D[]);
  const weightHhT = tf.transpose(params.weightHh);
  let state = initial;
  const outputs: tf.Tensor2D[] = [];
  for (const x of steps) {
    const hProj = tf.add(matMul(state.h, weightHhT), params.biasHh) as tf.Tensor2D;
    state = cell(x, hProj, state);
    outputs.push(state.h);
  }
  const output = outputs.length === 1 ? outputs[0] : (tf.concat(outputs, 0) as tf.Tensor2D);
  return { output, ...state };
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
  const names = stateNames(arch);
  const initial = new Map<StateName, tf.Tensor2D[]>(names.filter((s) => state[s]).map((s) => [s, tf.unstack(state[s] as tf.Tensor3D, 0) as tf.Tensor2D[]]));
  const h0 = initial.get('h') as tf.Tensor2D[];
  if (h0.length !== layers.length) {
    throw new ModelInputError(`recurrent state has ${h0.length} layers, expected ${layers.length}`);
  }
  let x = input;
  const finals = new Map<StateName, tf.Tensor2D[]>(names.map((s) => [s, []]));
  layers.forEach((params, k) => {
    if (k > 0 && dropoutMask) {
      const mask = dropoutMask(k - 1, x.shape);
      if (mask) x = tf.mul(x, mask);
    }
    // A missing c stays missing here, for the lstm cell to name it.
    const layerState = Object.fromEntries([...initial].map(([s, perLayer]) => [s, perLayer[k]])) as LayerState;
    const out = recurrentLayer(arch, params, x, seqLen, layerState);
    x = out.output;
    for (const s of names) finals.get(s)!.push(out[s] as tf.Tensor2D);
  });
  const next: RecurrentState = mapStates(arch, (s) => tf.stack(finals.get(s)!, 0) as tf.Tensor3D);
  return { output: x, state: next };
}
