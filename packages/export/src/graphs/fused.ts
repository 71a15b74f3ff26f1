import { gateCount } from '@charrnn/train';
import { attr, type ElementType, type GraphBuilder } from '../onnx/graph-builder.js';
import type { ExportSource } from '../export-source.js';
import { IO, declareInputs, declareOutputs, decode, embed, weight } from './signature.js';
import { ONNX_GATE_SOURCE, reorderGateBlocks } from './weight-layout.js';

const OP_TYPE = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM' } as const;

/**
 * The "fused" graph: Gather → one ONNX GRU/LSTM/RNN node per layer → MatMul + Add.
 * Each recurrent node runs a whole chunk of `seq` characters, which is what cuDNN (so the CUDA
 * execution provider) and every CPU provider implement natively.
 */
export function buildFusedGraph(g: GraphBuilder, source: ExportSource, float: ElementType): void {
  const { arch, hiddenSize: H, embeddingDim, numLayers } = source.config;
  const G = gateCount(arch);
  const order = ONNX_GATE_SOURCE[arch];
  const inputs = declareInputs(g, source, float, 'seq');

  // Squeezes the num_directions axis out of Y: [seq, 1, batch, H] → [seq, batch, H].
  const directionAxis = g.initializer('axes.direction', 'int64', [1], [1]);
  let x = embed(g, source, float, inputs.tokens);
  const finalH: string[] = [];
  const finalC: string[] = [];
  for (let k = 0; k < numLayers; k++) {
    const inputSize = k === 0 ? embeddingDim : H;
    const wih = weight(source, `rnn.weight_ih_l${k}`).data;
    const whh = weight(source, `rnn.weight_hh_l${k}`).data;
    const bias = new Float32Array(2 * G * H);
    bias.set(reorderGateBlocks(weight(source, `rnn.bias_ih_l${k}`).data, H, order), 0);
    bias.set(reorderGateBlocks(weight(source, `rnn.bias_hh_l${k}`).data, H, order), G * H);
    // ONNX W is [num_directions, G·H, input]: PyTorch's row-major weight_ih with its gate blocks restacked.
    const W = g.initializer(`rnn.W_l${k}`, float, [1, G * H, inputSize], reorderGateBlocks(wih, H * inputSize, order));
    const R = g.initializer(`rnn.R_l${k}`, float, [1, G * H, H], reorderGateBlocks(whh, H * H, order));
    const B = g.initializer(`rnn.B_l${k}`, float, [1, 2 * G * H], bias);

    // Gather with a 1-element index vector keeps the layer axis: [1, batch, H] is the op's initial_h.
    const layer = g.initializer(`layer${k}.index`, 'int64', [1], [k]);
    const h0 = g.op('Gather', [inputs.h0, layer], `l${k}.h0`, { axis: attr.int(0) });
    const attributes = {
      hidden_size: attr.int(H),
      layout: attr.int(0),
      // PyTorch applies the recurrent weights before the reset gate multiplies them: ONNX's
      // linear_before_reset = 1, the variant cuDNN implements.
      ...(arch === 'gru' ? { linear_before_reset: attr.int(1) } : {}),
    };
    // "" marks the omitted sequence_lens: every sequence in the batch runs the full chunk.
    if (arch === 'lstm') {
      const c0 = g.op('Gather', [inputs.c0 as string, layer], `l${k}.c0`, { axis: attr.int(0) });
      const [Y, Yh, Yc] = g.node('LSTM', [x, W, R, B, '', h0, c0], [`l${k}.Y`, `l${k}.hn`, `l${k}.cn`], attributes);
      finalH.push(Yh);
      finalC.push(Yc);
      x = g.op('Squeeze', [Y, directionAxis], `l${k}.out`);
    } else {
      const [Y, Yh] = g.node(OP_TYPE[arch], [x, W, R, B, '', h0], [`l${k}.Y`, `l${k}.hn`], attributes);
      finalH.push(Yh);
      x = g.op('Squeeze', [Y, directionAxis], `l${k}.out`);
    }
  }
  g.op('Concat', finalH, IO.hn, { axis: attr.int(0) });
  if (arch === 'lstm') g.op('Concat', finalC, IO.cn, { axis: attr.int(0) });
  decode(g, source, float, x);
  declareOutputs(g, source, float, 'seq');
}
