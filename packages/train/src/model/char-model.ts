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
import { validateWeights, type Weights } from './weights.js';
import { dropoutMask } from './dropout.js';

export interface ForwardOptions {
  /** Applies dropout between recurrent layers (needs `rng` when config.dropout > 0 and layers > 1). */
  training?: boolean;
  /** Source of the dropout masks, so a resumed run draws the same masks. */
  rng?: Rng;
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
  /** PyTorch name → variable, in state_dict order. */
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  private constructor(config: ModelConfig, parameters: Map<string, tf.Variable>) {
    this.config = config;
    this.parameters = parameters;
  }

  /** Builds a model from PyTorch-named weights; throws WeightsError naming every bad tensor. */
  static fromWeights(config: ModelConfig, weights: Weights): CharModel {
    registerModelGradients();
    const checked = validateModelConfig(config);
    validateWeights(checked, weights);
    const parameters = new Map<string, tf.Variable>();
    for (const name of expectedShapes(checked).keys()) {
      const w = weights.get(name)!;
      // tidy frees the initial tensor; the variable keeps its own reference to the data.
      parameters.set(name, tf.tidy(() => tf.variable(tf.tensor(w.data, w.shape, 'float32'), true)));
    }
    return new CharModel(checked, parameters);
  }

  zeroState(batch: number): RecurrentState {
    const shape = stateShape(this.config, batch);
    return mapStates(this.config.arch, () => tf.zeros(shape));
  }

  forward(tokens: tf.Tensor2D, state: RecurrentState, opts: ForwardOptions = {}): ForwardResult {
    const [seqLen, batch] = tokens.shape;
    const { vocabSize, numLayers, dropout, arch } = this.config;
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
    const useDropout = opts.training === true && dropout > 0 && numLayers > 1;
    if (useDropout && !opts.rng) throw new ModelInputError('training with dropout needs opts.rng (an Rng from @charrnn/data) for the dropout masks');
    const dropoutMask = useDropout ? (_layer: number, shape: [number, number]) => dropoutMaskTensor(opts.rng!, dropout, shape) : null;

    const embedded = embeddingLookup(p('encoder.weight') as tf.Tensor2D, tokens);
    const { output, state: next } = recurrentStack(arch, layers, embedded, seqLen, state, dropoutMask);
    const logits2d = tf.add(matMul(output, tf.transpose(p('decoder.weight') as tf.Tensor2D)), p('decoder.bias'));
    return { logits: tf.reshape(logits2d, [seqLen, batch, vocabSize]), state: next };
  }

  /** A copy of the parameters as plain arrays, PyTorch names and layouts. */
  getWeights(): Weights {
    const weights: Weights = new Map();
    for (const [name, v] of this.parameters) {
      weights.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    return weights;
  }

  /** Overwrites the parameters in place (e.g. to restore the last good checkpoint). */
  setWeights(weights: Weights): void {
    validateWeights(this.config, weights);
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
