import * as tf from '@tensorflow/tfjs-core';
import { oneMinusSquare, previousStates, tanh, step, type LayerWindow, type WindowParams } from './window.js';

/**
 * nn.RNN (tanh) over a window: h_t = tanh(gx_t + h_{t−1}·W_hhᵀ), where gx = x·W_ihᵀ + b_ih + b_hh
 * for all steps comes precomputed (inputBias folds both biases in). The loop holds one matmul and
 * two elementwise ops per step.
 */
export function rnnWindow(params: WindowParams, gx: tf.Tensor2D, h0: tf.Tensor2D, seqLen: number): LayerWindow {
  const batch = h0.shape[0];
  const weightHhT = tf.transpose(params.weightHh);
  const outputs: tf.Tensor2D[] = [];
  let h = h0;
  for (let t = 0; t < seqLen; t++) {
    h = tanh(tf.add(step(gx, t, batch), tf.matMul(h, weightHhT))) as tf.Tensor2D;
    outputs.push(h);
  }
  const output = seqLen === 1 ? h : (tf.concat(outputs, 0) as tf.Tensor2D);

  const backward = (dOutput: tf.Tensor2D) => {
    const slope = oneMinusSquare(output) as tf.Tensor2D;
    const dPre: tf.Tensor2D[] = new Array(seqLen);
    let dhNext: tf.Tensor2D | null = null;
    for (let t = seqLen - 1; t >= 0; t--) {
      const dh: tf.Tensor2D = dhNext ? tf.add(step(dOutput, t, batch), dhNext) : step(dOutput, t, batch);
      dPre[t] = tf.mul(dh, step(slope, t, batch)) as tf.Tensor2D;
      // W_hh in PyTorch's [out, in] layout is already the untransposed operand of dh = da·W_hh.
      if (t > 0) dhNext = tf.matMul(dPre[t], params.weightHh) as tf.Tensor2D;
    }
    const d = seqLen === 1 ? dPre[0] : (tf.concat(dPre, 0) as tf.Tensor2D);
    return { dGx: d, dGh: d, hPrev: previousStates(h0, output, seqLen, batch) };
  };
  return { output, h, backward };
}
