/**
 * The dropout masks of one training window, drawn in one fixed order from the run's seeded rng by
 * both engines, so that a seed gives the same run on tfjs and onnxruntime (contract 3 takes them
 * as inputs). Every mask is locked (variational): the embedding, between-layer and output masks
 * hold one row per stream, [batch, width], applied at every step of the window; the weight-drop
 * masks hold one [G·hidden, hidden] matrix per layer, shared by every stream and step.
 */
import type { Rng } from '@charrnn/data';
import { gateCount, type ModelConfig } from '../model/config.js';
import { dropoutMask } from '../model/dropout.js';
import type { Regularization } from './regularization.js';

export interface WindowMasks {
  /** [batch, embed] on the embedding output (embedDropout), or null. */
  embed: Float32Array | null;
  /** [batch, hidden] on the output of layer k, k = 0 … layers − 2 (the config's dropout); empty for none. */
  between: Float32Array[];
  /** [batch, hidden] on the last layer's output, before the decoder (outputDropout), or null. */
  output: Float32Array | null;
  /** [G·hidden, hidden] multiplying weight_hh of layer k (weightDrop); empty for none. */
  weightHh: Float32Array[];
}

/** Which masks a window of `config` with `reg` draws (a mask of p = 0 is never drawn: it would advance the rng for nothing). */
export function maskKinds(config: Pick<ModelConfig, 'dropout' | 'numLayers'>, reg: Pick<Regularization, 'embedDropout' | 'outputDropout' | 'weightDrop'>) {
  return {
    embed: reg.embedDropout > 0,
    between: config.dropout > 0 && config.numLayers > 1,
    output: reg.outputDropout > 0,
    weightHh: reg.weightDrop > 0,
  };
}

/** Whether a window draws any mask at all. */
export function drawsMasks(config: Pick<ModelConfig, 'dropout' | 'numLayers'>, reg: Pick<Regularization, 'embedDropout' | 'outputDropout' | 'weightDrop'>): boolean {
  return Object.values(maskKinds(config, reg)).some((on) => on);
}

/**
 * The masks of one window of `batch` streams, drawn from `rng` in this order: embedding, the
 * between-layer masks from layer 0's output up, output, then weight_hh of layer 0 up; each
 * row-major.
 */
export function drawWindowMasks(rng: Rng, config: ModelConfig, reg: Pick<Regularization, 'embedDropout' | 'outputDropout' | 'weightDrop'>, batch: number): WindowMasks {
  const kinds = maskKinds(config, reg);
  const { embeddingDim: E, hiddenSize: H, numLayers: L } = config;
  const embed = kinds.embed ? dropoutMask(rng, reg.embedDropout, batch * E) : null;
  const between = kinds.between ? Array.from({ length: L - 1 }, () => dropoutMask(rng, config.dropout, batch * H)) : [];
  const output = kinds.output ? dropoutMask(rng, reg.outputDropout, batch * H) : null;
  const rows = gateCount(config.arch) * H;
  const weightHh = kinds.weightHh ? Array.from({ length: L }, () => dropoutMask(rng, reg.weightDrop, rows * H)) : [];
  return { embed, between, output, weightHh };
}
