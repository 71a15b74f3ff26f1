import { GraphBuildError, attr, type GraphBuilder } from '../graph-builder.js';
import type { Arch } from '../arch.js';

const OP_TYPE = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM' } as const;

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
  /** [1, batch, hidden]. */
  h0: string;
  /** LSTM only, [1, batch, hidden]. */
  c0?: string;
}

export interface RecurrentNodeOutputs {
  /** Every step's state, [seq, 1, batch, hidden] (num_directions = 1). */
  Y: string;
  /** [1, batch, hidden]. */
  hn: string;
  /** LSTM only. */
  cn?: string;
}

/**
 * One ONNX `RNN`/`GRU`/`LSTM` node running a whole sequence: what cuDNN (so the CUDA execution
 * provider) and every CPU provider implement natively. GRU gets linear_before_reset = 1, PyTorch's
 * variant (the reset gate scales h·W_hnᵀ + b_hn after the matmul), which is also cuDNN's.
 */
export function recurrentNode(g: GraphBuilder, arch: Arch, inputs: RecurrentNodeInputs, hidden: number, name: string): RecurrentNodeOutputs {
  const attributes = {
    hidden_size: attr.int(hidden),
    layout: attr.int(0),
    ...(arch === 'gru' ? { linear_before_reset: attr.int(1) } : {}),
  };
  // "" is ONNX's omitted optional input: no sequence_lens, every sequence runs the whole chunk.
  if (arch === 'lstm') {
    if (inputs.c0 === undefined) throw new GraphBuildError(`LSTM node ${name} needs c0 [1, batch, hidden]`);
    const [Y, hn, cn] = g.node('LSTM', [inputs.x, inputs.W, inputs.R, inputs.B, '', inputs.h0, inputs.c0], [`${name}.Y`, `${name}.hn`, `${name}.cn`], attributes);
    return { Y, hn, cn };
  }
  const [Y, hn] = g.node(OP_TYPE[arch], [inputs.x, inputs.W, inputs.R, inputs.B, '', inputs.h0], [`${name}.Y`, `${name}.hn`], attributes);
  return { Y, hn };
}
