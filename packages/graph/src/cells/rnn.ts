import type { GraphBuilder } from '../graph-builder.js';

/** What one step of nn.RNN (tanh) computes; the new state is also what its backward pass needs. */
export interface RnnStep {
  h: string;
}

/**
 * nn.RNN's cell: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), given the two affine projections
 * `xp` and `hp` (any matching shapes, features last).
 */
export function rnnCell(g: GraphBuilder, xp: string, hp: string, name: string): RnnStep {
  return { h: g.op('Tanh', [g.op('Add', [xp, hp], `${name}.pre`)], `${name}.h`) };
}
