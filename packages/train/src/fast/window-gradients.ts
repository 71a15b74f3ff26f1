import * as tf from '@tensorflow/tfjs-core';
import { mapStates, stateNames } from '@charrnn/contract';
import type { ModelConfig } from '../model/config.js';
import { ModelInputError } from '../model/errors.js';
import type { RecurrentState } from '../model/recurrent.js';
import { checkRecurrentState } from '../model/state-check.js';
import { CELL_WINDOWS } from './windows.js';
import { gatherRows, scatterAddRows } from './heap.js';
import { affineGrads, columnSums, inputBias, transposedTimes } from './input-projection.js';
import type { LayerWindow, WindowParams } from './window.js';

/** Token ids of one BPTT window, time-major [seqLen, batchSize] flattened (index t·batchSize + b). */
export interface WindowTokens {
  input: Int32Array;
  target: Int32Array;
  seqLen: number;
  batchSize: number;
}

export interface WindowGradients {
  /** Σ −log p(target) over the window. */
  lossSum: tf.Scalar;
  /** d(lossSum / normalizer)/dθ by PyTorch parameter name. */
  grads: Map<string, tf.Tensor>;
  /** Final state (no gradient history: none is ever recorded). */
  state: RecurrentState;
}

/** Inverted-dropout multiplier for the output of layer `layer`, or null for none. */
export type DropoutMasks = (layer: number, shape: [number, number]) => tf.Tensor2D | null;

/** [ids.length, classes] one-hot of `ids`, built on the host. */
function oneHot(ids: Int32Array, classes: number): tf.Tensor2D {
  const values = new Float32Array(ids.length * classes);
  for (let i = 0; i < ids.length; i++) values[i * classes + ids[i]] = 1;
  return tf.tensor2d(values, [ids.length, classes]);
}

/**
 * Loss and every parameter gradient of the char model (embedding → recurrent stack → linear
 * decoder → log-softmax NLL) for one window, by a hand-written backward pass instead of tfjs'
 * tape. The same function as `sequenceLoss` differentiated by tf.variableGrads, rearranged so
 * that the input projections, the decoder and all weight gradients are a few large matmuls over
 * [seq·batch, …], every matmul has untransposed operands, and only h·W_hhᵀ (forward) and
 * dGh·W_hh (backward) run per step. Gradients are of lossSum / normalizer, so windows split
 * across workers add up to the gradient of the whole batch's mean.
 */
export function windowGradients(
  config: ModelConfig,
  params: ReadonlyMap<string, tf.Tensor>,
  tokens: WindowTokens,
  state: RecurrentState,
  normalizer: number,
  dropoutMask: DropoutMasks | null = null,
): WindowGradients {
  const { seqLen, batchSize } = tokens;
  const { arch, numLayers, vocabSize } = config;
  if (tokens.input.length !== seqLen * batchSize || tokens.target.length !== seqLen * batchSize) {
    throw new ModelInputError(`window tokens have ${tokens.input.length} inputs and ${tokens.target.length} targets, expected seqLen·batchSize = ${seqLen * batchSize}`);
  }
  // The same check as the tape's path (CharModel.forward): without it a missing cell state or a
  // wrong hidden size would fail inside tfjs, on an undefined operand or in a matmul.
  checkRecurrentState(config, batchSize, state);
  const p = (name: string) => params.get(name)! as tf.Tensor2D;
  // tidy keeps the tensors of plain objects and arrays it returns, not of Maps.
  const kept = tf.tidy(() => {
    const embedding = p('encoder.weight');
    const names = stateNames(arch);
    const initial = names.map((s) => tf.unstack(state[s] as tf.Tensor3D, 0) as tf.Tensor2D[]);

    const layers: { weightIh: tf.Tensor2D; input: tf.Tensor2D | null; window: LayerWindow; mask: tf.Tensor2D | null }[] = [];
    let x: tf.Tensor2D | null = null;
    for (let k = 0; k < numLayers; k++) {
      const weightIh = p(`rnn.weight_ih_l${k}`);
      const biasHh = params.get(`rnn.bias_hh_l${k}`)! as tf.Tensor1D;
      const bias = inputBias(arch, params.get(`rnn.bias_ih_l${k}`)! as tf.Tensor1D, biasHh, config.hiddenSize);
      let gx: tf.Tensor2D;
      let input: tf.Tensor2D | null = null;
      let mask: tf.Tensor2D | null = null;
      if (k === 0) {
        // Embedding fused into the first projection: E[id]·W_ihᵀ + b is row `id` of the
        // [vocab, G·hidden] table E·W_ihᵀ + b, built by one tiny matmul; the window's inputs then
        // just pick rows of it.
        const projected = tf.fused.matMul({ a: embedding, b: tf.transpose(weightIh), bias }) as tf.Tensor2D;
        gx = gatherRows(projected, tokens.input);
      } else {
        mask = dropoutMask ? dropoutMask(k - 1, x!.shape) : null;
        input = (mask ? tf.mul(x!, mask) : x!) as tf.Tensor2D;
        gx = tf.fused.matMul({ a: input, b: tf.transpose(weightIh), bias }) as tf.Tensor2D;
      }
      const lp: WindowParams = { weightHh: p(`rnn.weight_hh_l${k}`), biasHh };
      const window = CELL_WINDOWS[arch](lp, gx, mapStates(arch, (_, i) => initial[i][k]), seqLen);
      layers.push({ weightIh, input, window, mask });
      x = window.output;
    }
    const top = x!;

    // Decoder and loss: logits = x·W_decᵀ + b; d(−Σ log softmax[target])/dlogits = softmax − onehot.
    const decoderWeight = p('decoder.weight');
    const logits = tf.fused.matMul({ a: top as tf.Tensor2D, b: tf.transpose(decoderWeight), bias: params.get('decoder.bias')! }) as tf.Tensor2D;
    const logProbs = tf.logSoftmax(logits, 1);
    const targets = oneHot(tokens.target, vocabSize);
    const lossSum = tf.neg(tf.sum(tf.mul(logProbs, targets))) as tf.Scalar;
    const dLogits = tf.div(tf.sub(tf.exp(logProbs), targets), normalizer) as tf.Tensor2D;

    const grads = new Map<string, tf.Tensor>();
    grads.set('decoder.weight', transposedTimes(dLogits, top));
    grads.set('decoder.bias', columnSums(dLogits));
    let dOutput: tf.Tensor2D = tf.matMul(dLogits, decoderWeight);
    for (let k = numLayers - 1; k >= 0; k--) {
      const { weightIh, input, window, mask } = layers[k];
      const { dGx, dGh, hPrev } = window.backward(dOutput);
      const recurrent = affineGrads(dGh, hPrev);
      grads.set(`rnn.weight_hh_l${k}`, recurrent.dW);
      grads.set(`rnn.bias_hh_l${k}`, recurrent.db);
      if (k === 0) {
        // Through the fused table: dTable = scatter-add of dGx rows by input id, then
        // dE = dTable·W_ih, dW_ih = dTableᵀ·E, db_ih = Σ dTable rows.
        const dTable = scatterAddRows(dGx, tokens.input, vocabSize);
        grads.set('rnn.weight_ih_l0', transposedTimes(dTable, embedding));
        grads.set('rnn.bias_ih_l0', dGh === dGx ? recurrent.db.clone() : columnSums(dTable));
        grads.set('encoder.weight', tf.matMul(dTable, weightIh));
      } else {
        const fromInput = affineGrads(dGx, input!);
        grads.set(`rnn.weight_ih_l${k}`, fromInput.dW);
        grads.set(`rnn.bias_ih_l${k}`, fromInput.db);
        const dInput = tf.matMul(dGx, weightIh);
        dOutput = (mask ? tf.mul(dInput, mask) : dInput) as tf.Tensor2D;
      }
    }

    return {
      lossSum,
      grads: [...params.keys()].map((name) => grads.get(name)!),
      // Final states in stateNames order.
      states: names.map((s) => tf.stack(layers.map((l) => l.window[s] as tf.Tensor2D), 0) as tf.Tensor3D),
    };
  });
  const names = [...params.keys()];
  return {
    lossSum: kept.lossSum,
    grads: new Map(names.map((name, i) => [name, kept.grads[i]])),
    state: mapStates(arch, (_, i) => kept.states[i]),
  };
}
