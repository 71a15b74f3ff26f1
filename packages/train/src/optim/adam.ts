import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../model/weights.js';
import { ADAM_DEFAULTS, OptimizerError, type OptimizerState, weightDecayOf } from './optimizer.js';
import type { Optimizer } from './tfjs-optimizer.js';
import { Slots } from './slots.js';
import { isDecayed } from '../engine/regularization.js';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** torch.optim.AdamW's decoupled weight decay λ (p ← p·(1 − lr·λ) before the step), on weights and not biases; default 0. */
  weightDecay?: number;
}

/**
 * Adam as torch.optim.Adam computes it (Kingma & Ba 2015, with bias correction folded into the
 * step): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr·(m/(1−β1ᵗ)) / (√v/√(1−β2ᵗ) + ε).
 */
export class Adam implements Optimizer {
  readonly name = 'adam' as const;
  private beta1: number;
  private beta2: number;
  private eps: number;
  private t = 0;
  private readonly weightDecay: number;
  private readonly m = new Slots('exp_avg');
  private readonly v = new Slots('exp_avg_sq');

  constructor(opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? ADAM_DEFAULTS.beta1;
    this.beta2 = opts.beta2 ?? ADAM_DEFAULTS.beta2;
    this.eps = opts.eps ?? ADAM_DEFAULTS.eps;
    this.weightDecay = weightDecayOf(opts.weightDecay);
  }

  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.t++;
    const { beta1, beta2, eps, t } = this;
    const correction1 = 1 - beta1 ** t;
    const sqrtCorrection2 = Math.sqrt(1 - beta2 ** t);
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      const m = this.m.get(name, p.shape);
      const v = this.v.get(name, p.shape);
      tf.tidy(() => {
        const mNext = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNext = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(vNext), sqrtCorrection2), eps);
        m.assign(mNext);
        v.assign(vNext);
        const start = this.weightDecay > 0 && isDecayed(name) ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        p.assign(tf.sub(start, tf.mul(tf.div(mNext, denom), lr / correction1)));
      });
    }
  }

  getState(): OptimizerState {
    const slots = new Map<string, NamedTensor>();
    this.m.export(slots);
    this.v.export(slots);
    return { name: 'adam', slots, scalars: { step: this.t, beta1: this.beta1, beta2: this.beta2, eps: this.eps } };
  }

  setState(state: OptimizerState): void {
    if (state.name !== 'adam') throw new OptimizerError(`optimizer state is for ${state.name}, this optimizer is adam`);
    this.t = state.scalars.step ?? 0;
    this.beta1 = state.scalars.beta1 ?? this.beta1;
    this.beta2 = state.scalars.beta2 ?? this.beta2;
    this.eps = state.scalars.eps ?? this.eps;
    this.m.import(state.slots);
    this.v.import(state.slots);
  }

  checkAgainst(params: ReadonlyMap<string, tf.Variable>): void {
    this.m.check(params);
    this.v.check(params);
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
