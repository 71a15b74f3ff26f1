import { CELL_SHAPES } from '@charrnn/contract';
import type { GraphBuilder } from '../graph-builder.js';
import type { CellGradients, CellSpec } from './cell-spec.js';
import { tanhSlope } from './derivatives.js';

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

/**
 * rnnCell's backward step: d(pre) = dh ⊙ (1 − h'²) is both dGx and dGh; dh_prev = d(pre)·W_hh
 * (`weightHh` [hidden, hidden], PyTorch's layout; null skips it).
 */
export function rnnCellBackward(g: GraphBuilder, step: RnnStep, dh: string, weightHh: string | null, name: string): CellGradients {
  const dPre = g.op('Mul', [dh, tanhSlope(g, step.h, `${name}.dtanh`)], `${name}.dpre`);
  if (weightHh === null) return { dGx: dPre, dGh: dPre };
  return { dGx: dPre, dGh: dPre, dPrev: { h: g.op('MatMul', [dPre, weightHh], `${name}.dh_prev`) } };
}

/** nn.RNN (tanh) as a CellSpec: ONNX's RNN operator, whose default activation is tanh. */
export const RNN_CELL: CellSpec<RnnStep> = {
  arch: 'rnn',
  ...CELL_SHAPES.rnn,
  onnx: { op: 'RNN', attributes: {}, gateSource: [0] },
  additiveRecurrentBiasGates: 1,
  forward: (g, xp, hp, _state, _hidden, name) => rnnCell(g, xp, hp, name),
  backward: (g, step, d, weightHh, name) => rnnCellBackward(g, step, d.h, weightHh, name),
};
