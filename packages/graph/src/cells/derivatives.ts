import type { GraphBuilder } from '../graph-builder.js';

/** σ'(x) from s = σ(x): s ⊙ (1 − s). */
export function sigmoidSlope(g: GraphBuilder, s: string, name: string): string {
  return g.op('Mul', [s, g.op('Sub', [g.constant('float32', [], [1]), s], `${name}.one_minus`)], name);
}

/** tanh'(x) from t = tanh(x): 1 − t². */
export function tanhSlope(g: GraphBuilder, t: string, name: string): string {
  return g.op('Sub', [g.constant('float32', [], [1]), g.op('Mul', [t, t], `${name}.sq`)], name);
}
