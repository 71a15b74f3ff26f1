import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@charrnn/data';
import type { CharModel } from '../model/char-model.js';
import { NO_REGULARIZATION, activeRegularization, type Regularization } from '../engine/regularization.js';
import { drawWindowMasks, drawsMasks } from '../engine/window-masks.js';
import { ModelInputError } from '../model/errors.js';
import type { RecurrentState } from '../model/recurrent.js';
import type { LossAndGradients, TokenBatch } from '../trainer/gradients.js';
import { windowGradients } from './window-gradients.js';

/**
 * Drop-in replacement for the trainer's `lossAndGradients` (same arguments, same results up to
 * float rounding, same dropout masks drawn from the same rng in the same order) computed by the
 * hand-written BPTT backward of windowGradients instead of tfjs' tape.
 */
export function fastLossAndGradients(model: CharModel, batch: TokenBatch, state: RecurrentState, opts: { training: boolean; rng?: Rng; regularization?: Regularization }): LossAndGradients {
  const reg = opts.regularization ?? NO_REGULARIZATION;
  const missing = [...(model.tied ? ['tie'] : []), ...activeRegularization(reg).filter((key) => key !== 'weightDecay' && key !== 'tie')];
  if (missing.length > 0) throw new ModelInputError(`the fast path does not implement ${missing.join(', ')}; use lossAndGradients (tfjs' tape)`);
  const useDropout = opts.training && drawsMasks(model.config, reg);
  if (useDropout && !opts.rng) throw new ModelInputError(`training with dropout ${model.config.dropout} needs opts.rng for the dropout masks (an Rng from @charrnn/data)`);
  // Locked: a stream's row of layer k's mask, the same at every step of the window.
  const drawn = useDropout ? drawWindowMasks(opts.rng!, model.config, reg, batch.batchSize) : null;
  const masks = drawn ? (k: number) => tf.tile(tf.tensor2d(drawn.between[k], [batch.batchSize, model.config.hiddenSize]), [batch.seqLen, 1]) as tf.Tensor2D : null;
  const targets = batch.seqLen * batch.batchSize;
  const { lossSum, grads, state: next } = windowGradients(model.config, model.parameters, batch, state, targets, masks);
  const loss = lossSum.dataSync()[0] / targets;
  lossSum.dispose();
  return { loss, grads, state: next };
}
