import * as tf from '@tensorflow/tfjs-core';
import { cols, oneMinusSquare, previousStates, rows, sigmoidSlope, step, type LayerWindow, type WindowParams } from './window.js';

/**
 * The lesson's GRUCell (PyTorch's nn.GRU) over a window, gate blocks r, z, n:
 *   r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r ⊙ hn),  h' = n + z ⊙ (h − n)
 * with x* = x·W_i*ᵀ + b_i*, h* = h·W_h*ᵀ + b_h*. gx, the input projection of all steps, comes
 * precomputed with b_hr and b_hz folded in (inputBias); b_hn cannot be, it sits inside r ⊙ ·.
 *
 * Backward, with dh the gradient reaching h' and everything else saved from the forward pass:
 *   dn̂ = dh ⊙ (1 − z)(1 − n²)          (n̂: tanh's argument; also dGx of the n block)
 *   dẑ = dh ⊙ (h − n) z(1 − z)
 *   dr̂ = dn̂ ⊙ hn r(1 − r)
 *   dGh = [dr̂, dẑ, dn̂ ⊙ r],  dGx = [dr̂, dẑ, dn̂]
 *   dh_prev = dh ⊙ z + dGh·W_hh
 * The products not involving dh are computed for all steps at once before the loop.
 */
export function gruWindow(params: WindowParams, gx: tf.Tensor2D, h0: tf.Tensor2D, seqLen: number): LayerWindow {
  const [batch, hidden] = h0.shape;
  const bHh = params.biasHh;
  const gxRz = cols(gx, 0, 2 * hidden);
  // tanh(a) = 2σ(2a) − 1 with the 2 folded into the n block's inputs (wasm's Tanh is ~10× slower
  // than its Sigmoid): 2a = 2xn + r ⊙ 2hn, so hn is computed doubled and halved only in backward.
  const gxN2 = tf.mul(cols(gx, 2 * hidden, hidden), 2) as tf.Tensor2D;
  const weightHhT = tf.transpose(params.weightHh);
  const weightRzT = cols(weightHhT, 0, 2 * hidden);
  const weightN2T = tf.mul(cols(weightHhT, 2 * hidden, hidden), 2) as tf.Tensor2D;
  const biasN2 = tf.mul(tf.slice(bHh, 2 * hidden, hidden), 2) as tf.Tensor1D;

  const outputs: tf.Tensor2D[] = [];
  const rzs: tf.Tensor2D[] = [];
  const ns: tf.Tensor2D[] = [];
  const hns: tf.Tensor2D[] = [];
  let h = h0;
  for (let t = 0; t < seqLen; t++) {
    const rz = tf.sigmoid(tf.add(step(gxRz, t, batch), tf.matMul(h, weightRzT))) as tf.Tensor2D;
    const hn = tf.fused.matMul({ a: h, b: weightN2T, bias: biasN2 }) as tf.Tensor2D; // 2·hn
    const n = tf.sub(tf.mul(tf.sigmoid(tf.add(step(gxN2, t, batch), tf.mul(cols(rz, 0, hidden), hn))), 2), 1) as tf.Tensor2D;
    h = tf.add(n, tf.mul(cols(rz, hidden, hidden), tf.sub(h, n))) as tf.Tensor2D;
    rzs.push(rz);
    ns.push(n);
    hns.push(hn);
    outputs.push(h);
  }
  const all = (xs: tf.Tensor2D[]) => (xs.length === 1 ? xs[0] : (tf.concat(xs, 0) as tf.Tensor2D));
  const output = all(outputs);

  const backward = (dOutput: tf.Tensor2D) => {
    const hPrev = previousStates(h0, output, seqLen, batch);
    const rz = all(rzs);
    const r = cols(rz, 0, hidden);
    const z = cols(rz, hidden, hidden);
    const n = all(ns);
    const kN = tf.mul(tf.sub(1, z), oneMinusSquare(n)) as tf.Tensor2D;
    const kZ = tf.mul(tf.sub(hPrev, n), sigmoidSlope(z)) as tf.Tensor2D;
    const kR = tf.mul(tf.mul(all(hns), 0.5), sigmoidSlope(r)) as tf.Tensor2D;
    const weightRz = rows(params.weightHh, 0, 2 * hidden);
    const weightN = rows(params.weightHh, 2 * hidden, hidden);
    const dRz = new Array<tf.Tensor2D>(seqLen);
    const dN = new Array<tf.Tensor2D>(seqLen);
    const dHn = new Array<tf.Tensor2D>(seqLen);
    let dhNext: tf.Tensor2D | null = null;
    for (let t = seqLen - 1; t >= 0; t--) {
      const dh: tf.Tensor2D = dhNext ? tf.add(step(dOutput, t, batch), dhNext) : step(dOutput, t, batch);
      dN[t] = tf.mul(dh, step(kN, t, batch)) as tf.Tensor2D;
      const dz = tf.mul(dh, step(kZ, t, batch));
      const dr = tf.mul(dN[t], step(kR, t, batch));
      dHn[t] = tf.mul(dN[t], step(r, t, batch)) as tf.Tensor2D;
      dRz[t] = tf.concat([dr, dz], 1) as tf.Tensor2D;
      if (t > 0) {
        dhNext = tf.addN([tf.mul(dh, step(z, t, batch)), tf.matMul(dRz[t], weightRz), tf.matMul(dHn[t], weightN)]) as tf.Tensor2D;
      }
    }
    const dRzAll = all(dRz);
    return {
      dGx: tf.concat([dRzAll, all(dN)], 1) as tf.Tensor2D,
      dGh: tf.concat([dRzAll, all(dHn)], 1) as tf.Tensor2D,
      hPrev,
    };
  };
  return { output, h, backward };
}
