import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../model/weights.js';
import { OptimizerError, type OptimizerState, weightDecayOf } from './optimizer.js';
import type { Optimizer } from './tfjs-optimizer.js';
import { Slots } from './slots.js';
import { isDecayed } from '../engine/regularization.js';

/**
 * SGD with momentum as torch.optim.SGD (dampening 0, not Nesterov): b ← μ·b + g (b = g on the
 * first step), p ← p − lr·b.
 */
export class Sgd implements Optimizer {
  readonly name = 'sgd' as const;
  private momentum: number;
  private readonly buf = new Slots('momentum_buffer');
  private readonly weightDecay: number;

  /** `weightDecay`: decoupled decay λ as AdamW's (p ← p·(1 − lr·λ) before the step; SGDW), on weights and not biases. */
  constructor(opts: { momentum?: number; weightDecay?: number } = {}) {
    this.momentum = opts.momentum ?? 0.9;
    this.weightDecay = weightDecayOf(opts.weightDecay);
  }

  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      const first = !this.buf.has(name);
      const b = this.buf.get(name, p.shape);
      tf.tidy(() => {
        const bNext = first ? g : tf.add(tf.mul(b, this.momentum), g);
        b.assign(bNext);
        const start = this.weightDecay > 0 && isDecayed(name) ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        p.assign(tf.sub(start, tf.mul(bNext, lr)));
      });
    }
  }

  getState(): OptimizerState {
    const slots = new Map<string, NamedTensor>();
    this.buf.export(slots);
    return { name: 'sgd', slots, scalars: { momentum: this.momentum } };
  }

  setState(state: OptimizerState): void {
    if (state.name !== 'sgd') throw new OptimizerError(`optimizer state is for ${state.name}, this optimizer is sgd`);
    this.momentum = state.scalars.momentum ?? this.momentum;
    this.buf.import(state.slots);
  }

  checkAgainst(params: ReadonlyMap<string, tf.Variable>): void {
    this.buf.check(params);
  }

  dispose(): void {
    this.buf.dispose();
  }
}
