import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../model/weights.js';
import { OptimizerError } from './optimizer.js';

/** Per-parameter optimizer buffers (Adam's moments, SGD's momentum), created as zeros on first use. */
export class Slots {
  private readonly vars = new Map<string, tf.Variable>();

  constructor(readonly slotName: string) {}

  get(param: string, shape: number[]): tf.Variable {
    let v = this.vars.get(param);
    if (!v) {
      v = tf.tidy(() => tf.variable(tf.zeros(shape), false));
      this.vars.set(param, v);
    }
    return v;
  }

  has(param: string): boolean {
    return this.vars.has(param);
  }

  export(into: Map<string, NamedTensor>): void {
    for (const [param, v] of this.vars) {
      into.set(`${this.slotName}.${param}`, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
  }

  import(from: ReadonlyMap<string, NamedTensor>): void {
    this.dispose();
    const prefix = `${this.slotName}.`;
    for (const [key, t] of from) {
      if (!key.startsWith(prefix)) continue;
      this.vars.set(key.slice(prefix.length), tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, 'float32'), false)));
    }
  }

  /** Checks that restored slots fit the parameters they will update. */
  check(params: ReadonlyMap<string, tf.Variable>): void {
    for (const [param, v] of this.vars) {
      const p = params.get(param);
      if (!p) throw new OptimizerError(`optimizer slot ${this.slotName}.${param} has no matching model parameter`);
      if (p.shape.join(',') !== v.shape.join(',')) {
        throw new OptimizerError(`optimizer slot ${this.slotName}.${param} has shape [${v.shape}], the parameter has [${p.shape}]`);
      }
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
