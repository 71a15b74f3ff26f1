import { STATE_IO, mapStates, type Arch } from '@charrnn/contract';
import { GraphBuildError, attr, type GraphBuilder } from '../graph-builder.js';
import type { StateValues } from './cell-spec.js';
import { cellSpec } from './registry.js';

/** Inputs of one ONNX RNN/GRU/LSTM node, weights already in ONNX's gate order (see layout/). */
export interface RecurrentNodeInputs {
  /** [seq, batch, input]. */
  x: string;
  /** [1, G·hidden, input]. */
  W: string;
  /** [1, G·hidden, hidden]. */
  R: string;
  /** [1, 2·G·hidden]: Wb then Rb. */
  B: string;
  /** The entering state by name, each [1, batch, hidden]: h, and c for an LSTM. */
  initial: StateValues;
}

export interface RecurrentNodeOutputs {
  /** Every step's state, [seq, 1, batch, hidden] (num_directions = 1). */
  Y: string;
  /** The final state by name, each [1, batch, hidden]. */
  final: StateValues;
}

/**
 * One ONNX `RNN`/`GRU`/`LSTM` node running a whole sequence: what cuDNN (so the CUDA execution
 * provider) and every CPU provider implement natively. GRU gets linear_before_reset = 1, PyTorch's
 * variant (the reset gate scales h·W_hnᵀ + b_hn after the matmul), which is also cuDNN's.
 */
export function recurrentNode(g: GraphBuilder, arch: Arch, inputs: RecurrentNodeInputs, hidden: number, name: string): RecurrentNodeOutputs {
  const spec = cellSpec(arch);
  const attributes = { hidden_size: attr.int(hidden), layout: attr.int(0), ...spec.onnx.attributes };
  const initial = spec.states.map((s) => {
    const value = inputs.initial[s];
    if (value === undefined) throw new GraphBuildError(`${spec.onnx.op} node ${name} needs ${STATE_IO[s].input} [1, batch, hidden]`);
    return value;
  });
  // The operators' inputs after B: sequence_lens ("", ONNX's omitted optional input: every
  // sequence runs the whole chunk), then initial_h (and initial_c); their outputs Y, Y_h (and Y_c).
  const [Y, ...final] = g.node(spec.onnx.op, [inputs.x, inputs.W, inputs.R, inputs.B, '', ...initial], [`${name}.Y`, ...spec.states.map((s) => `${name}.${STATE_IO[s].output}`)], attributes);
  return { Y, final: mapStates(arch, (_, i) => final[i]) };
}
