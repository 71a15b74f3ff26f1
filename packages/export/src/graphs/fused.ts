import { STATE_IO, mapStates, stateNames } from '@charrnn/contract';
import { attr, gateCount, onnxRecurrentWeights, recurrentNode, type ElementType, type GraphBuilder, type StateValues } from '@charrnn/graph';
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
  const finals: StateValues[] = [];
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
        initial: mapStates(arch, (s) => g.op('Gather', [inputs.state[s] as string, layer], `l${k}.${STATE_IO[s].input}`, { axis: attr.int(0) })),
      },
      H,
      `l${k}`,
    );
    finals.push(out.final);
    x = g.op('Squeeze', [out.Y, directionAxis], `l${k}.out`);
  }
  for (const s of stateNames(arch)) g.op('Concat', finals.map((f) => f[s] as string), STATE_IO[s].output, { axis: attr.int(0) });
  decode(g, source, float, x);
  declareOutputs(g, source, float, 'seq');
}
