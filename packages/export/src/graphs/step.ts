import { IO } from '@charrnn/contract';
import { attr, gruCell, lstmCell, rnnCell, transpose, type ElementType, type GraphBuilder } from '@charrnn/graph';
import type { ExportSource } from '../export-source.js';
import { declareInputs, declareOutputs, decode, embed, weight } from './signature.js';

/** `v·Wᵀ + b` for a PyTorch-layout [rows, cols] weight, written as MatMul with Wᵀ stored once. */
function affine(g: GraphBuilder, source: ExportSource, float: ElementType, v: string, weightName: string, biasName: string, name: string): string {
  const w = weight(source, weightName);
  const [rows, cols] = w.shape;
  const wt = g.initializer(`${weightName}_t`, float, [cols, rows], transpose(w.data, rows, cols));
  const b = g.initializer(biasName, float, [rows], weight(source, biasName).data);
  return g.op('Add', [g.op('MatMul', [v, wt], `${name}.mm`), b], name);
}

/**
 * The "step" graph: one character per call (seq fixed to 1), written with MatMul, Gather, Split
 * and elementwise ops only, so it runs on providers without RNN kernels (onnxruntime-web's
 * WebGPU). The cells are @charrnn/graph's; `x` is [1, batch, in], each layer's h is [batch, H],
 * and broadcasting makes every new state [1, batch, H], ready to be concatenated into `hn`.
 */
export function buildStepGraph(g: GraphBuilder, source: ExportSource, float: ElementType): void {
  const { arch, numLayers, hiddenSize: H } = source.config;
  const inputs = declareInputs(g, source, float, 1);
  let x = embed(g, source, float, inputs.tokens);
  const finalH: string[] = [];
  const finalC: string[] = [];
  for (let k = 0; k < numLayers; k++) {
    // A scalar index drops the layer axis: h is [batch, H].
    const layer = g.initializer(`layer${k}.scalar`, 'int64', [], [k]);
    const h = g.op('Gather', [inputs.h0, layer], `l${k}.h0`, { axis: attr.int(0) });
    const xp = affine(g, source, float, x, `rnn.weight_ih_l${k}`, `rnn.bias_ih_l${k}`, `l${k}.xp`);
    const hp = affine(g, source, float, h, `rnn.weight_hh_l${k}`, `rnn.bias_hh_l${k}`, `l${k}.hp`);
    let hNew: string;
    if (arch === 'rnn') {
      hNew = rnnCell(g, xp, hp, `l${k}`).h;
    } else if (arch === 'gru') {
      hNew = gruCell(g, xp, hp, h, H, `l${k}`).h;
    } else {
      const c = g.op('Gather', [inputs.c0 as string, layer], `l${k}.c0`, { axis: attr.int(0) });
      const step = lstmCell(g, xp, hp, c, H, `l${k}`);
      finalC.push(step.c);
      hNew = step.h;
    }
    finalH.push(hNew);
    x = hNew;
  }
  g.op('Concat', finalH, IO.hn, { axis: attr.int(0) });
  if (arch === 'lstm') g.op('Concat', finalC, IO.cn, { axis: attr.int(0) });
  decode(g, source, float, x);
  declareOutputs(g, source, float, 1);
}
