import type * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../model/weights.js';

export type OptimizerName = 'adam' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'sgd'];

/** What `--resume` needs to continue an optimizer exactly: its slot tensors and scalar settings. */
export interface OptimizerState {
  name: OptimizerName;
  /** Slot tensors keyed `<slot>.<parameter name>`, e.g. `exp_avg.rnn.weight_hh_l0`. */
  slots: Map<string, NamedTensor>;
  /** Scalars such as the step count and betas, stored as strings in the file's metadata. */
  scalars: Record<string, number>;
}

export class OptimizerError extends Error {
  override name = 'OptimizerError';
}

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
