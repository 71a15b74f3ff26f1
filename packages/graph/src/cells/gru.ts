import { CELL_SHAPES } from '@charrnn/contract';
import { attr, type GraphBuilder } from '../graph-builder.js';
import type { CellGradients, CellSpec } from './cell-spec.js';
import { sigmoidSlope, tanhSlope } from './derivatives.js';
import { splitLast } from './split.js';

/** One GRU step's new state and the activations its backward pass reuses. */
export interface GruStep {
  h: string;
  r: string;
  z: string;
  n: string;
  /** h·W_hnᵀ + b_hn, the recurrent part of the candidate that the reset gate scales. */
  hn: string;
  /** The entering state, and h − n. */
  hPrev: string;
  hMinusN: string;
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
  const hMinusN = g.op('Sub', [h, n], `${name}.h_minus_n`);
  const hNew = g.op('Add', [n, g.op('Mul', [z, hMinusN], `${name}.z_h_minus_n`)], `${name}.h`);
  return { h: hNew, r, z, n, hn: hN, hPrev: h, hMinusN };
}

/**
 * gruCell's backward step, `dh` being the gradient reaching its output h':
 *   dn̂ = dh ⊙ (1 − z) ⊙ (1 − n²)        (n̂: tanh's argument; the n block of dGx)
 *   dẑ = dh ⊙ (h − n) ⊙ z(1 − z)
 *   dr̂ = dn̂ ⊙ h_n ⊙ r(1 − r)
 *   dGx = [dr̂, dẑ, dn̂],  dGh = [dr̂, dẑ, dn̂ ⊙ r],  dh_prev = dh ⊙ z + dGh·W_hh
 * `weightHh` is W_hh in PyTorch's layout [3·hidden, hidden]; null skips dh_prev (the first step of
 * a window, whose entering state is detached).
 */
export function gruCellBackward(g: GraphBuilder, step: GruStep, dh: string, weightHh: string | null, name: string): CellGradients {
  const one = g.constant('float32', [], [1]);
  const oneMinusZ = g.op('Sub', [one, step.z], `${name}.one_minus_z`);
  const dN = g.op('Mul', [g.op('Mul', [dh, oneMinusZ], `${name}.dh_1mz`), tanhSlope(g, step.n, `${name}.dtanh_n`)], `${name}.dn`);
  const dZ = g.op('Mul', [g.op('Mul', [dh, step.hMinusN], `${name}.dh_hmn`), g.op('Mul', [step.z, oneMinusZ], `${name}.dsig_z`)], `${name}.dz`);
  const dR = g.op('Mul', [g.op('Mul', [dN, step.hn], `${name}.dn_hn`), sigmoidSlope(g, step.r, `${name}.dsig_r`)], `${name}.dr`);
  const dHn = g.op('Mul', [dN, step.r], `${name}.dhn`);
  const dGx = g.op('Concat', [dR, dZ, dN], `${name}.dGx`, { axis: { type: 'int', value: -1 } });
  const dGh = g.op('Concat', [dR, dZ, dHn], `${name}.dGh`, { axis: { type: 'int', value: -1 } });
  if (weightHh === null) return { dGx, dGh };
  const direct = g.op('Mul', [dh, step.z], `${name}.dh_z`);
  return { dGx, dGh, dPrev: { h: g.op('Add', [direct, g.op('MatMul', [dGh, weightHh], `${name}.dGh_W`)], `${name}.dh_prev`) } };
}

/**
 * The lesson's GRU as a CellSpec. ONNX's GRU with linear_before_reset = 1 is PyTorch's variant
 * (and cuDNN's); its gate blocks are z, r, h.
 */
export const GRU_CELL: CellSpec<GruStep> = {
  arch: 'gru',
  ...CELL_SHAPES.gru,
  onnx: { op: 'GRU', attributes: { linear_before_reset: attr.int(1) }, gateSource: [1, 0, 2] },
  additiveRecurrentBiasGates: 2,
  forward: (g, xp, hp, state, hidden, name) => gruCell(g, xp, hp, state.h, hidden, name),
  backward: (g, step, d, weightHh, name) => gruCellBackward(g, step, d.h, weightHh, name),
};
