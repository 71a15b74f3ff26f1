import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@charrnn/data';
import type { CharModel } from '../model/char-model.js';
import { sequenceLoss } from '../model/loss.js';
import type { RecurrentState } from '../model/recurrent.js';
import type { TokenBatch } from '../engine/engine.js';
import type { Regularization } from '../engine/regularization.js';

export type { TokenBatch };

export interface LossAndGradients {
  /** Mean NLL per target of this batch. */
  loss: number;
  /** Gradients keyed by PyTorch parameter name; the caller disposes them. */
  grads: Map<string, tf.Tensor>;
  /** The final hidden state, outside any gradient history (the lesson's repackage_var). */
  state: RecurrentState;
}

/**
 * One BPTT batch: forward from `state`, mean NLL, gradients of every parameter. This is the seam
 * a hand-written backward can replace; the trainer knows nothing else about how gradients come.
 */
export function lossAndGradients(model: CharModel, batch: TokenBatch, state: RecurrentState, opts: { training: boolean; rng?: Rng; regularization?: Regularization }): LossAndGradients {
  const names = [...model.parameters.keys()];
  const vars = [...model.parameters.values()];
  let next: RecurrentState | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const input = tf.tensor2d(batch.input, [batch.seqLen, batch.batchSize], 'int32');
    const target = tf.tensor2d(batch.target, [batch.seqLen, batch.batchSize], 'int32');
    const out = sequenceLoss(model, input, target, state, opts);
    // Kept tensors survive the tape's tidy; the tape holds no reference the next batch could follow.
    next = { h: tf.keep(out.state.h), ...(out.state.c ? { c: tf.keep(out.state.c) } : {}) };
    return out.loss;
  }, vars);
  const loss = value.dataSync()[0];
  value.dispose();
  const byName = new Map<string, tf.Tensor>();
  names.forEach((name, i) => byName.set(name, grads[vars[i].name]));
  return { loss, grads: byName, state: next! };
}

/** torch.nn.utils.clip_grad_norm_: scales all gradients by max/(‖g‖₂ + 1e-6) when the global norm exceeds max. Returns the norm before clipping. */
export function clipGradNorm(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const [name, g] of grads) {
      grads.set(name, tf.mul(g, scale));
      g.dispose();
    }
  }
  return norm;
}
