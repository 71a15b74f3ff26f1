import * as tf from '@tensorflow/tfjs-core';
import { columnSums } from './input-projection.js';
import { previousStates, rows, step, type LayerWindow, type WindowParams } from './window.js';

/**
 * nn.RNN (tanh) over a window: h_t = tanh(gx_t + h_{t−1}·W_hhᵀ), where gx = x·W_ihᵀ + b_ih + b_hh
 * for all steps comes precomputed (inputBias folds both biases in).
 *
 * wasm's Tanh is ~10× slower than its Sigmoid, so the loop runs on s_t = σ(2a_t), h_t = 2s_t − 1
 * (tanh a = 2σ(2a) − 1) and carries s instead of h:
 *   2a_t = 2gx_t + h_{t−1}·2W_hhᵀ = (2gx_t − 1·2W_hhᵀ) + s_{t−1}·4W_hhᵀ   for t ≥ 1,
 * so a step is one matmul, one add and one sigmoid; h = 2s − 1 is formed once for the window.
 * Backward: dâ_t = dh_t ⊙ (1 − h_t²) = dh_t ⊙ 4s_t(1 − s_t),  dh_{t−1} = dâ_t·W_hh.
 */
export function rnnWindow(params: WindowParams, gx: tf.Tensor2D, h0: tf.Tensor2D, seqLen: number): LayerWindow {
  const batch = h0.shape[0];
  const weight2T = tf.mul(tf.transpose(params.weightHh), 2) as tf.Tensor2D;
  const weight4T = tf.mul(weight2T, 2) as tf.Tensor2D;
  const gx2 = tf.mul(gx, 2) as tf.Tensor2D;
  const gx2Shifted = tf.sub(gx2, columnSums(weight2T)) as tf.Tensor2D;
  const sigmas: tf.Tensor2D[] = [];
  let s: tf.Tensor2D | null = null;
  for (let t = 0; t < seqLen; t++) {
    const pre: tf.Tensor2D = s ? tf.add(step(gx2Shifted, t, batch), tf.matMul(s, weight4T)) : tf.add(step(gx2, t, batch), tf.matMul(h0, weight2T));
    s = tf.sigmoid(pre) as tf.Tensor2D;
    sigmas.push(s);
  }
  const sigma = seqLen === 1 ? s! : (tf.concat(sigmas, 0) as tf.Tensor2D);
  const output = tf.sub(tf.mul(sigma, 2), 1) as tf.Tensor2D;
  const h = rows(output, (seqLen - 1) * batch, batch);

  const backward = (dOutput: tf.Tensor2D) => {
    const slope = tf.mul(tf.mul(sigma, tf.sub(1, sigma)), 4) as tf.Tensor2D;
    const dPre = new Array<tf.Tensor2D>(seqLen);
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
