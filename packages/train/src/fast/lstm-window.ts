import * as tf from '@tensorflow/tfjs-core';
import { cols, oneMinusSquare, tanh, previousStates, sigmoidSlope, step, type LayerWindow, type WindowParams } from './window.js';

/**
 * PyTorch's nn.LSTM over a window, gate blocks i, f, g, o:
 *   c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),  h' = σ(o) ⊙ tanh(c')
 * gx = x·W_ihᵀ + b_ih + b_hh for all steps comes precomputed (inputBias folds both biases in).
 *
 * Backward, with dh and dc the gradients reaching h' and c' from later steps:
 *   dc_total = dc + dh ⊙ o(1 − tanh²c')
 *   dô = dh ⊙ tanh(c') o(1 − o),  dî = dc_total ⊙ g i(1 − i),  df̂ = dc_total ⊙ c f(1 − f),
 *   dĝ = dc_total ⊙ i(1 − g²),    dc_prev = dc_total ⊙ f,  dh_prev = [dî, df̂, dĝ, dô]·W_hh
 */
export function lstmWindow(params: WindowParams, gx: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D, seqLen: number): LayerWindow {
  const [batch, hidden] = h0.shape;
  const weightHhT = tf.transpose(params.weightHh);
  const outputs: tf.Tensor2D[] = [];
  const sigmas: tf.Tensor2D[] = [];
  const gs: tf.Tensor2D[] = [];
  const cellsIn: tf.Tensor2D[] = [];
  const tanhCs: tf.Tensor2D[] = [];
  let h = h0;
  let c = c0;
  for (let t = 0; t < seqLen; t++) {
    const pre = tf.add(step(gx, t, batch), tf.matMul(h, weightHhT)) as tf.Tensor2D;
    // σ over all four blocks is one op; the g block's σ is simply not used.
    const sigma = tf.sigmoid(pre) as tf.Tensor2D;
    const g = tanh(cols(pre, 2 * hidden, hidden)) as tf.Tensor2D;
    cellsIn.push(c);
    c = tf.add(tf.mul(cols(sigma, hidden, hidden), c), tf.mul(cols(sigma, 0, hidden), g)) as tf.Tensor2D;
    const tanhC = tanh(c) as tf.Tensor2D;
    h = tf.mul(cols(sigma, 3 * hidden, hidden), tanhC) as tf.Tensor2D;
    sigmas.push(sigma);
    gs.push(g);
    tanhCs.push(tanhC);
    outputs.push(h);
  }
  const all = (xs: tf.Tensor2D[]) => (xs.length === 1 ? xs[0] : (tf.concat(xs, 0) as tf.Tensor2D));
  const output = all(outputs);

  const backward = (dOutput: tf.Tensor2D) => {
    const sigma = all(sigmas);
    const i = cols(sigma, 0, hidden);
    const f = cols(sigma, hidden, hidden);
    const o = cols(sigma, 3 * hidden, hidden);
    const g = all(gs);
    const tanhC = all(tanhCs);
    const kC = tf.mul(o, oneMinusSquare(tanhC)) as tf.Tensor2D;
    const kO = tf.mul(tanhC, sigmoidSlope(o)) as tf.Tensor2D;
    const kI = tf.mul(g, sigmoidSlope(i)) as tf.Tensor2D;
    const kF = tf.mul(all(cellsIn), sigmoidSlope(f)) as tf.Tensor2D;
    const kG = tf.mul(i, oneMinusSquare(g)) as tf.Tensor2D;
    const dPre = new Array<tf.Tensor2D>(seqLen);
    let dhNext: tf.Tensor2D | null = null;
    let dcNext: tf.Tensor2D | null = null;
    for (let t = seqLen - 1; t >= 0; t--) {
      const dh: tf.Tensor2D = dhNext ? tf.add(step(dOutput, t, batch), dhNext) : step(dOutput, t, batch);
      const fromH = tf.mul(dh, step(kC, t, batch)) as tf.Tensor2D;
      const dc: tf.Tensor2D = dcNext ? tf.add(dcNext, fromH) : fromH;
      dPre[t] = tf.concat([tf.mul(dc, step(kI, t, batch)), tf.mul(dc, step(kF, t, batch)), tf.mul(dc, step(kG, t, batch)), tf.mul(dh, step(kO, t, batch))], 1) as tf.Tensor2D;
      if (t > 0) {
        dhNext = tf.matMul(dPre[t], params.weightHh) as tf.Tensor2D;
        dcNext = tf.mul(dc, step(f, t, batch)) as tf.Tensor2D;
      }
    }
    const d = all(dPre);
    return { dGx: d, dGh: d, hPrev: previousStates(h0, output, seqLen, batch) };
  };
  return { output, h, c, backward };
}
