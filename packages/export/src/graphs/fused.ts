import { IO } from '@charrnn/contract';
import { attr, onnxRecurrentWeights, recurrentNode, type ElementType, type GraphBuilder } from '@charrnn/graph';
import { gateCount } from '@charrnn/train/browser';
import type { ExportSource } from '../export-source.js';
import { declareInputs, declareOutputs, decode, embed, weight } from './signature.js';

/**
 * The "fused" graph: Gather → one ONNX GRU/LSTM/RNN node per layer → MatMul + Add.
 * Each recurrent node runs a whole chunk of `seq` characters, which is what cuDNN (so the CUDA
 * execution provider) and every CPU provider implement natively.
 */
export function buildFusedGraph(g: GraphBuilder, source: ExportSource, float: ElementType): void {
  const { arch, hiddenSize: H, embeddingDim, numLayers } = source.config;
  const G = gateCount(arch);
  const inputs = declareInputs(g, source, float, 'seq');

  // Squeezes the num_directions axis out of Y: [seq, 1, batch, H] → [seq, batch, H].
  const directionAxis = g.constant('int64', [1], [1]);
  let x = embed(g, source, float, inputs.tokens);
  const finalH: string[] = [];
  const finalC: string[] = [];
  for (let k = 0; k < numLayers; k++) {
    const inputSize = k === 0 ? embeddingDim : H;
    const onnx = onnxRecurrentWeights(arch, H, inputSize, {
      weightIh: weight(source, `rnn.weight_ih_l${k}`).data,
      weightHh: weight(source, `rnn.weight_hh_l${k}`).data,
      biasIh: weight(source, `rnn.bias_ih_l${k}`).data,
      biasHh: weight(source, `rnn.bias_hh_l${k}`).data,
    });
    // Gather with a 1-element index vector keeps the layer axis: [1, batch, H] is the op's initial_h.
    const layer = g.initializer(`layer${k}.index`, 'int64', [1], [k]);
    const out = recurrentNode(
      g,
      arch,
      {
        x,
        W: g.initializer(`rnn.W_l${k}`, float, [1, G * H, inputSize], onnx.W),
        R: g.initializer(`rnn.R_l${k}`, float, [1, G * H, H], onnx.R),
        B: g.initializer(`rnn.B_l${k}`, float, [1, 2 * G * H], onnx.B),
        h0: g.op('Gather', [inputs.h0, layer], `l${k}.h0`, { axis: attr.int(0) }),
        c0: arch === 'lstm' ? g.op('Gather', [inputs.c0 as string, layer], `l${k}.c0`, { axis: attr.int(0) }) : undefined,
      },
      H,
      `l${k}`,
    );
    finalH.push(out.hn);
    if (out.cn !== undefined) finalC.push(out.cn);
    x = g.op('Squeeze', [out.Y, directionAxis], `l${k}.out`);
  }
  g.op('Concat', finalH, IO.hn, { axis: attr.int(0) });
  if (arch === 'lstm') g.op('Concat', finalC, IO.cn, { axis: attr.int(0) });
  decode(g, source, float, x);
  declareOutputs(g, source, float, 'seq');
}
