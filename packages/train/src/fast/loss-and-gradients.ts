import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@charrnn/data';
import { dropoutMaskTensor, type CharModel } from '../model/char-model.js';
import { ModelInputError } from '../model/errors.js';
import type { RecurrentState } from '../model/recurrent.js';
import type { LossAndGradients, TokenBatch } from '../trainer/gradients.js';
import { windowGradients } from './window-gradients.js';

/**
 * Drop-in replacement for the trainer's `lossAndGradients` (same arguments, same results up to
 * float rounding, same dropout masks drawn from the same rng in the same order) computed by the
 * hand-written BPTT backward of windowGradients instead of tfjs' tape.
 */
export function fastLossAndGradients(model: CharModel, batch: TokenBatch, state: RecurrentState, opts: { training: boolean; rng?: Rng }): LossAndGradients {
  const { dropout, numLayers } = model.config;
  const useDropout = opts.training && dropout > 0 && numLayers > 1;
  if (useDropout && !opts.rng) throw new ModelInputError(`training with dropout ${model.config.dropout} needs opts.rng for the dropout masks (an Rng from @charrnn/data)`);
  const masks = useDropout ? (_layer: number, shape: [number, number]) => dropoutMaskTensor(opts.rng!, dropout, shape) : null;
  const targets = batch.seqLen * batch.batchSize;
  const { lossSum, grads, state: next } = windowGradients(model.config, model.parameters, batch, state, targets, masks);
  const loss = lossSum.dataSync()[0] / targets;
  lossSum.dispose();
  return { loss, grads, state: next };
}
