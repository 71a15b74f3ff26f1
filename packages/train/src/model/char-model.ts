import * as tf from '@tensorflow/tfjs-core';
import { mapStates, stateShape } from '@charrnn/contract';
import type { Rng } from '@charrnn/data';
import { expectedShapes, validateModelConfig, type ModelConfig } from './config.js';
import { embeddingLookup } from './embedding.js';
import { ModelInputError } from './errors.js';
import { registerModelGradients } from './gradients.js';
import { matMul } from './matmul.js';
import { recurrentStack, type LayerParams, type RecurrentState } from './recurrent.js';
import { checkRecurrentState } from './state-check.js';
import { WeightsError, validateWeights, type Weights } from './weights.js';
import { dropoutMask } from './dropout.js';
import { NO_REGULARIZATION, type Regularization } from '../engine/regularization.js';
import { drawWindowMasks, drawsMasks } from '../engine/window-masks.js';

export interface ForwardOptions {
  /** Applies the dropout masks: between recurrent layers (config.dropout) and those of `regularization`; needs `rng` when any is drawn. */
  training?: boolean;
  /** Source of the dropout masks, so a resumed run draws the same masks. */
  rng?: Rng;
  /** Locked embedding and output dropout and weight drop (the model's own `tie` is fixed when it is built). */
  regularization?: Pick<Regularization, 'embedDropout' | 'outputDropout' | 'weightDrop'>;
}

export interface ForwardResult {
  /** Unnormalised scores, [seq, batch, vocab]. */
  logits: tf.Tensor3D;
  state: RecurrentState;
}

/**
 * The lesson's char model: embedding → recurrent stack → linear decoder. Parameters are
 * tf.Variables in PyTorch's names and layouts; `forward` creates tensors the caller owns (wrap it
 * in tf.tidy or dispose the results).
 */
export class CharModel {
  readonly config: ModelConfig;
  /** PyTorch name → variable, in state_dict order (a tied decoder.weight is encoder.weight, so not among them). */
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /** Whether the decoder reads with the embedding matrix (decoder.weight = encoder.weight). */
  readonly tied: boolean;

  private constructor(config: ModelConfig, parameters: Map<string, tf.Variable>, tied: boolean) {
    this.config = config;
    this.parameters = parameters;
    this.tied = tied;
  }

  /**
   * Builds a model from PyTorch-named weights; throws WeightsError naming every bad tensor. With
   * `tie`, decoder.weight must equal encoder.weight (see tiedWeights) and is not a parameter of its own.
   */
  static fromWeights(config: ModelConfig, weights: Weights, opts: { tie?: boolean } = {}): CharModel {
    registerModelGradients();
    const checked = validateModelConfig(config);
    validateWeights(checked, weights);
    const tied = opts.tie === true;
    if (tied) checkTiedWeights(weights);
    const parameters = new Map<string, tf.Variable>();
    for (const name of expectedShapes(checked).keys()) {
      if (tied && name === 'decoder.weight') continue;
      const w = weights.get(name)!;
      // tidy frees the initial tensor; the variable keeps its own reference to the data.
      parameters.set(name, tf.tidy(() => tf.variable(tf.tensor(w.data, w.shape, 'float32'), true)));
    }
    return new CharModel(checked, parameters, tied);
  }

  zeroState(batch: number): RecurrentState {
    const shape = stateShape(this.config, batch);
    return mapStates(this.config.arch, () => tf.zeros(shape));
  }

  forward(tokens: tf.Tensor2D, state: RecurrentState, opts: ForwardOptions = {}): ForwardResult {
    const [seqLen, batch] = tokens.shape;
    const { vocabSize, numLayers, hiddenSize, arch } = this.config;
    if (tokens.rank !== 2 || tokens.dtype !== 'int32') {
      throw new ModelInputError(`tokens are ${tokens.dtype} of shape [${tokens.shape}], expected int32 [seq, batch]`);
    }
    checkRecurrentState(this.config, batch, state, ` for tokens [${tokens.shape}] (use zeroState(${batch}))`);
    const p = (name: string) => this.parameters.get(name)!;
    const layers: LayerParams[] = [];
    for (let k = 0; k < numLayers; k++) {
      layers.push({
        weightIh: p(`rnn.weight_ih_l${k}`) as tf.Tensor2D,
        weightHh: p(`rnn.weight_hh_l${k}`) as tf.Tensor2D,
        biasIh: p(`rnn.bias_ih_l${k}`) as tf.Tensor1D,
        biasHh: p(`rnn.bias_hh_l${k}`) as tf.Tensor1D,
      });
    }
    const reg = opts.regularization ?? NO_REGULARIZATION;
    const useMasks = opts.training === true && drawsMasks(this.config, reg);
    if (useMasks && !opts.rng) throw new ModelInputError('training with dropout needs opts.rng (an Rng from @charrnn/data) for the dropout masks');
    const masks = useMasks ? drawWindowMasks(opts.rng!, this.config, reg, batch) : null;
    // A locked mask [batch, width] is the same row for a stream at every step of the window.
    const locked = (mask: Float32Array, width: number) => tf.tile(tf.tensor2d(mask, [batch, width]), [seqLen, 1]) as tf.Tensor2D;
    masks?.weightHh.forEach((m, k) => {
      layers[k].weightHh = tf.mul(layers[k].weightHh, tf.tensor2d(m, layers[k].weightHh.shape)) as tf.Tensor2D;
    });
    const dropoutMask = masks && masks.between.length > 0 ? (k: number) => locked(masks.between[k], hiddenSize) : null;

    let embedded = embeddingLookup(p('encoder.weight') as tf.Tensor2D, tokens);
    if (masks?.embed) embedded = tf.mul(embedded, locked(masks.embed, this.config.embeddingDim)) as tf.Tensor2D;
    const stack = recurrentStack(arch, layers, embedded, seqLen, state, dropoutMask);
    const output = masks?.output ? (tf.mul(stack.output, locked(masks.output, hiddenSize)) as tf.Tensor2D) : stack.output;
    const next = stack.state;
    const decoderWeight = p(this.tied ? 'encoder.weight' : 'decoder.weight') as tf.Tensor2D;
    const logits2d = tf.add(matMul(output, tf.transpose(decoderWeight)), p('decoder.bias'));
    return { logits: tf.reshape(logits2d, [seqLen, batch, vocabSize]), state: next };
  }

  /** A copy of the parameters as plain arrays, PyTorch names and layouts. */
  getWeights(): Weights {
    const weights: Weights = new Map();
    // Every contract-1 name in state_dict order; a tied decoder.weight is written as the copy of encoder.weight it is.
    for (const name of expectedShapes(this.config).keys()) {
      const v = this.parameters.get(name) ?? (this.parameters.get('encoder.weight') as tf.Variable);
      weights.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    return weights;
  }

  /** Overwrites the parameters in place (e.g. to restore the last good checkpoint). */
  setWeights(weights: Weights): void {
    validateWeights(this.config, weights);
    if (this.tied) checkTiedWeights(weights);
    for (const [name, v] of this.parameters) {
      const w = weights.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(w.data, w.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.parameters.values()) v.dispose();
  }
}

export function dropoutMaskTensor(rng: Rng, p: number, shape: [number, number]): tf.Tensor2D {
  return tf.tensor2d(dropoutMask(rng, p, shape[0] * shape[1]), shape);
}

export function disposeState(state: RecurrentState): void {
  state.h.dispose();
  state.c?.dispose();
}

/** A tied model's decoder.weight must be its encoder.weight (tiedWeights makes them so). */
function checkTiedWeights(weights: Weights): void {
  const encoder = weights.get('encoder.weight')!.data;
  const decoder = weights.get('decoder.weight')!.data;
  if (encoder.length !== decoder.length || encoder.some((v, i) => v !== decoder[i])) {
    throw new WeightsError('a tied model needs decoder.weight equal to encoder.weight (start from tiedWeights(randomWeights(config, seed)), or load a tied run)');
  }
}
