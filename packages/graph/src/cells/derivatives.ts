import type { GraphBuilder } from '../graph-builder.js';

/** The result of a cell's backward step: gradients of the two pre-activation projections and of the entering state. */
export interface CellGradients {
  /** d/d(x·W_ihᵀ + b_ih), gate blocks stacked like the projection. */
  dGx: string;
  /** d/d(h·W_hhᵀ + b_hh). */
  dGh: string;
  /** d/dh of the state that entered the step; absent when not asked for (the window's first step). */
  dhPrev?: string;
  /** LSTM: d/dc of the cell state that entered the step. */
  dcPrev?: string;
}

/** σ'(x) from s = σ(x): s ⊙ (1 − s). */
export function sigmoidSlope(g: GraphBuilder, s: string, name: string): string {
  return g.op('Mul', [s, g.op('Sub', [g.constant('float32', [], [1]), s], `${name}.one_minus`)], name);
}

/** tanh'(x) from t = tanh(x): 1 − t². */
export function tanhSlope(g: GraphBuilder, t: string, name: string): string {
  return g.op('Sub', [g.constant('float32', [], [1]), g.op('Mul', [t, t], `${name}.sq`)], name);
}
