import { STATE_IO, mapStates } from '@charrnn/contract';
import { attr, cellSpec, transpose, type ElementType, type GraphBuilder, type StateValues } from '@charrnn/graph';
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
  const cell = cellSpec(arch);
  const inputs = declareInputs(g, source, float, 1);
  let x = embed(g, source, float, inputs.tokens);
  const steps: StateValues[] = [];
  for (let k = 0; k < numLayers; k++) {
    // A scalar index drops the layer axis: each state is [batch, H].
    const layer = g.initializer(`layer${k}.scalar`, 'int64', [], [k]);
    const state = mapStates(arch, (s) => g.op('Gather', [inputs.state[s] as string, layer], `l${k}.${STATE_IO[s].input}`, { axis: attr.int(0) }));
    const xp = affine(g, source, float, x, `rnn.weight_ih_l${k}`, `rnn.bias_ih_l${k}`, `l${k}.xp`);
    const hp = affine(g, source, float, state.h, `rnn.weight_hh_l${k}`, `rnn.bias_hh_l${k}`, `l${k}.hp`);
    const step = cell.forward(g, xp, hp, state, H, `l${k}`);
    steps.push(step);
    x = step.h;
  }
  for (const s of cell.states) g.op('Concat', steps.map((step) => step[s] as string), STATE_IO[s].output, { axis: attr.int(0) });
  decode(g, source, float, x);
  declareOutputs(g, source, float, 1);
}
