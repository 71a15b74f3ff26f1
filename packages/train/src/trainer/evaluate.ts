import * as tf from '@tensorflow/tfjs-core';
import { LanguageModelLoader } from '@charrnn/data';
import { disposeState, type CharModel } from '../model/char-model.js';
import { sequenceLoss } from '../model/loss.js';
import type { Evaluation } from '../engine/engine.js';

export type { Evaluation };

/**
 * Exact validation loss: the loader's fixed-length mode (batchSize streams, seqLen = bptt), state
 * carried from zeros through the split in its own variable (never the training state), every
 * target counted once. Per-batch sums are float32, the total is accumulated in float64.
 */
export function evaluate(model: CharModel, ids: Int32Array, batchSize: number, bptt: number): Evaluation {
  const loader = new LanguageModelLoader(ids, { batchSize, bptt, fixedLength: true });
  let state = model.zeroState(batchSize);
  let sum = 0;
  let targets = 0;
  for (const batch of loader.epoch(0)) {
    const [batchSum, h, c] = tf.tidy(() => {
      const input = tf.tensor2d(batch.input, [batch.seqLen, batch.batchSize], 'int32');
      const target = tf.tensor2d(batch.target, [batch.seqLen, batch.batchSize], 'int32');
      const out = sequenceLoss(model, input, target, state, { training: false });
      return [out.sum, out.state.h, ...(out.state.c ? [out.state.c] : [])];
    }) as [tf.Scalar, tf.Tensor3D, tf.Tensor3D?];
    sum += batchSum.dataSync()[0];
    targets += batch.seqLen * batch.batchSize;
    batchSum.dispose();
    disposeState(state);
    state = c ? { h, c } : { h };
  }
  disposeState(state);
  return { loss: sum / targets, targets };
}
