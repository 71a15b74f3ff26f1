import { CELL_SHAPES } from '@charrnn/contract';
import { GraphBuildError, type GraphBuilder } from '../graph-builder.js';
import type { CellGradients, CellSpec } from './cell-spec.js';
import { sigmoidSlope, tanhSlope } from './derivatives.js';
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
  /** The entering cell state. */
  cPrev: string;
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
  return { h: g.op('Mul', [o, tanhC], `${name}.h`), c: cNew, i, f, g: cell, o, tanhC, cPrev: c };
}

/**
 * lstmCell's backward step, `dh` and `dc` being the gradients reaching h' and c' from later
 * (`dc` null at a window's last step, where only h' feeds the loss):
 *   dô = dh ⊙ tanh(c') ⊙ o(1 − o)
 *   dc' = dc + dh ⊙ o ⊙ (1 − tanh²(c'))
 *   dî = dc' ⊙ g ⊙ i(1 − i),  df̂ = dc' ⊙ c ⊙ f(1 − f),  dĝ = dc' ⊙ i ⊙ (1 − g²)
 *   dGx = dGh = [dî, df̂, dĝ, dô],  dh_prev = dGh·W_hh,  dc_prev = dc' ⊙ f
 * `weightHh` [4·hidden, hidden] in PyTorch's layout; null skips dh_prev and dc_prev.
 */
export function lstmCellBackward(g: GraphBuilder, step: LstmStep, dh: string, dc: string | null, weightHh: string | null, name: string): CellGradients {
  const dO = g.op('Mul', [g.op('Mul', [dh, step.tanhC], `${name}.dh_tc`), sigmoidSlope(g, step.o, `${name}.dsig_o`)], `${name}.do`);
  const fromH = g.op('Mul', [g.op('Mul', [dh, step.o], `${name}.dh_o`), tanhSlope(g, step.tanhC, `${name}.dtanh_c`)], `${name}.dc_from_h`);
  const dcTotal = dc === null ? fromH : g.op('Add', [dc, fromH], `${name}.dc`);
  const dI = g.op('Mul', [g.op('Mul', [dcTotal, step.g], `${name}.dc_g`), sigmoidSlope(g, step.i, `${name}.dsig_i`)], `${name}.di`);
  const dF = g.op('Mul', [g.op('Mul', [dcTotal, step.cPrev], `${name}.dc_c`), sigmoidSlope(g, step.f, `${name}.dsig_f`)], `${name}.df`);
  const dG = g.op('Mul', [g.op('Mul', [dcTotal, step.i], `${name}.dc_i`), tanhSlope(g, step.g, `${name}.dtanh_g`)], `${name}.dg`);
  const dGates = g.op('Concat', [dI, dF, dG, dO], `${name}.dGates`, { axis: { type: 'int', value: -1 } });
  if (weightHh === null) return { dGx: dGates, dGh: dGates };
  return {
    dGx: dGates,
    dGh: dGates,
    dPrev: {
      h: g.op('MatMul', [dGates, weightHh], `${name}.dh_prev`),
      c: g.op('Mul', [dcTotal, step.f], `${name}.dc_prev`),
    },
  };
}

/** nn.LSTM as a CellSpec; ONNX's LSTM stacks its gate blocks i, o, f, c. */
export const LSTM_CELL: CellSpec<LstmStep> = {
  arch: 'lstm',
  ...CELL_SHAPES.lstm,
  onnx: { op: 'LSTM', attributes: {}, gateSource: [0, 3, 1, 2] },
  additiveRecurrentBiasGates: 4,
  forward: (g, xp, hp, state, hidden, name) => {
    if (state.c === undefined) throw new GraphBuildError(`LSTM step ${name} needs the cell state c`);
    return lstmCell(g, xp, hp, state.c, hidden, name);
  },
  backward: (g, step, d, weightHh, name) => lstmCellBackward(g, step, d.h, d.c ?? null, weightHh, name),
};
