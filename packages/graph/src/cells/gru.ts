import type { GraphBuilder } from '../graph-builder.js';
import { splitLast } from './split.js';

/** One GRU step's new state and the activations its backward pass reuses. */
export interface GruStep {
  h: string;
  r: string;
  z: string;
  n: string;
  /** h·W_hnᵀ + b_hn, the recurrent part of the candidate that the reset gate scales. */
  hn: string;
}

/**
 * The lesson's GRUCell (PyTorch's nn.GRU), gate blocks r, z, n stacked along the features:
 *   r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r ⊙ h_n),  h' = n + z ⊙ (h − n)
 * where `xp` = x·W_ihᵀ + b_ih and `hp` = h·W_hhᵀ + b_hh, each [..., 3·hidden]. The reset gate
 * multiplies the recurrent projection after its matmul (ONNX's linear_before_reset = 1).
 */
export function gruCell(g: GraphBuilder, xp: string, hp: string, h: string, hidden: number, name: string): GruStep {
  const [xRz, xN] = splitLast(g, xp, [2 * hidden, hidden], `${name}.x`);
  const [hRz, hN] = splitLast(g, hp, [2 * hidden, hidden], `${name}.hp`);
  const rz = g.op('Sigmoid', [g.op('Add', [xRz, hRz], `${name}.rz_pre`)], `${name}.rz`);
  const [r, z] = splitLast(g, rz, [hidden, hidden], `${name}.rz`);
  const n = g.op('Tanh', [g.op('Add', [xN, g.op('Mul', [r, hN], `${name}.r_hn`)], `${name}.n_pre`)], `${name}.n`);
  const hNew = g.op('Add', [n, g.op('Mul', [z, g.op('Sub', [h, n], `${name}.h_minus_n`)], `${name}.z_h_minus_n`)], `${name}.h`);
  return { h: hNew, r, z, n, hn: hN };
}
