import type * as tf from '@tensorflow/tfjs-core';
import type { OptimizerName, OptimizerState } from './optimizer.js';

/**
 * An optimizer that updates tf.Variables in place from gradients keyed by parameter name. Its
 * slots are its own variables, so their exact values can be saved and restored.
 */
export interface Optimizer {
  readonly name: OptimizerName;
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  /** Throws OptimizerError if restored slots do not fit `params` (a state from another model). */
  checkAgainst(params: ReadonlyMap<string, tf.Variable>): void;
  dispose(): void;
}
