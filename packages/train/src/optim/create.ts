import { Adam } from './adam.js';
import { OPTIMIZER_NAMES, OptimizerError, type OptimizerName } from './optimizer.js';
import type { Optimizer } from './tfjs-optimizer.js';
import { Sgd } from './sgd.js';

export function createOptimizer(name: OptimizerName, opts: { momentum?: number; weightDecay?: number } = {}): Optimizer {
  if (name === 'adam') return new Adam({ weightDecay: opts.weightDecay });
  if (name === 'sgd') return new Sgd({ momentum: opts.momentum, weightDecay: opts.weightDecay });
  throw new OptimizerError(`optimizer ${JSON.stringify(name)} is not one of ${OPTIMIZER_NAMES.join(', ')}`);
}
