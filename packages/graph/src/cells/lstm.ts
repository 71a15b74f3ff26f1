import type { GraphBuilder } from '../graph-builder.js';
import { splitLast } from './split.js';

/** One LSTM step's new states and the activations its backward pass reuses. */
export interface LstmStep {
  h: string;
  c: string;
  i: string;
  f: string;
  g: string;
  o: string;
  /** tanh(c'). */
  tanhC: string;
}

/**
 * nn.LSTM's cell, gate blocks i, f, g, o stacked along the features:
 *   i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh (`xp` + `hp`),
 *   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').
 */
export function lstmCell(g: GraphBuilder, xp: string, hp: string, c: string, hidden: number, name: string): LstmStep {
  const pre = g.op('Add', [xp, hp], `${name}.pre`);
  const [iPre, fPre, gPre, oPre] = splitLast(g, pre, [hidden, hidden, hidden, hidden], `${name}.pre`);
  const i = g.op('Sigmoid', [iPre], `${name}.i`);
  const f = g.op('Sigmoid', [fPre], `${name}.f`);
  const cell = g.op('Tanh', [gPre], `${name}.g`);
  const o = g.op('Sigmoid', [oPre], `${name}.o`);
  const cNew = g.op('Add', [g.op('Mul', [f, c], `${name}.f_c`), g.op('Mul', [i, cell], `${name}.i_g`)], `${name}.c`);
  const tanhC = g.op('Tanh', [cNew], `${name}.tanh_c`);
  return { h: g.op('Mul', [o, tanhC], `${name}.h`), c: cNew, i, f, g: cell, o, tanhC };
}
