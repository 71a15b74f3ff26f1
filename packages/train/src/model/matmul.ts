import * as tf from '@tensorflow/tfjs-core';

/**
 * a·b for 2-D a [m,k] and b [k,n], whose gradient also avoids matMul's transpose flags:
 * tfjs-backend-wasm runs XNNPACK's fast kernel only for untransposed operands (measured here:
 * [512,256]·[256,768] takes 10 ms untransposed, 92 ms with transposeB, 15 ms with an explicit
 * tf.transpose first), and tfjs' built-in matMul gradient always sets the flags.
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sy)), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D)];
      },
    };
  });
  return op(a, b) as tf.Tensor2D;
}
