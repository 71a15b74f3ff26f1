// Names and saved state of the optimizers, shared by both engines and the browser entry. The tfjs
// engine's Optimizer interface lives in tfjs-optimizer.ts, so that nothing here (nor in the
// browser entry's types) loads tfjs-core's type declarations.
import type { NamedTensor } from '../model/weights.js';

/** Adam's defaults, torch.optim.Adam's: what both engines use when a run does not set them. */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

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

/** The decoupled weight decay λ both optimizers take: absent is 0; anything but a finite λ ≥ 0 is refused. */
export function weightDecayOf(weightDecay: number | undefined): number {
  const wd = weightDecay ?? 0;
  if (!(wd >= 0 && Number.isFinite(wd))) throw new OptimizerError(`weightDecay is ${typeof wd === 'number' ? String(wd) : JSON.stringify(wd)}, expected a finite number ≥ 0`);
  return wd;
}
