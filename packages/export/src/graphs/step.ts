import { attr, type ElementType, type GraphBuilder } from '../onnx/graph-builder.js';
import type { ExportSource } from '../export-source.js';
import { IO, declareInputs, declareOutputs, decode, embed, weight } from './signature.js';
import { gateBias, gateBlockTransposed } from './weight-layout.js';

/** Builds one layer's pre-activations `x·W_iᵀ + h·W_hᵀ + b` for a chosen PyTorch gate block. */
class LayerWeights {
  constructor(
    private readonly g: GraphBuilder,
    private readonly source: ExportSource,
    private readonly float: ElementType,
    private readonly k: number,
    private readonly x: string,
    private readonly h: string,
  ) {}

  private get hidden(): number {
    return this.source.config.hiddenSize;
  }

  private get inputSize(): number {
    return this.k === 0 ? this.source.config.embeddingDim : this.hidden;
  }

  /** x · W_{i,gate}ᵀ (+ b_{i,gate}), [1, batch, H]. */
  input(gate: number, name: string, withBias: boolean): string {
    const wih = weight(this.source, `rnn.weight_ih_l${this.k}`).data;
    const w = this.g.initializer(`rnn.l${this.k}.W_i${name}_t`, this.float, [this.inputSize, this.hidden], gateBlockTransposed(wih, gate, this.hidden, this.inputSize));
    const product = this.g.op('MatMul', [this.x, w], `l${this.k}.x${name}`);
    if (!withBias) return product;
    const b = this.g.initializer(`rnn.l${this.k}.b_i${name}`, this.float, [this.hidden], gateBias(weight(this.source, `rnn.bias_ih_l${this.k}`).data, gate, this.hidden));
    return this.g.op('Add', [product, b], `l${this.k}.x${name}_b`);
  }

  /** h · W_{h,gate}ᵀ (+ b_{h,gate}), [batch, H]. */
  recurrent(gate: number, name: string, withBias: boolean): string {
    const whh = weight(this.source, `rnn.weight_hh_l${this.k}`).data;
    const w = this.g.initializer(`rnn.l${this.k}.W_h${name}_t`, this.float, [this.hidden, this.hidden], gateBlockTransposed(whh, gate, this.hidden, this.hidden));
    const product = this.g.op('MatMul', [this.h, w], `l${this.k}.h${name}`);
    if (!withBias) return product;
    const b = this.g.initializer(`rnn.l${this.k}.b_h${name}`, this.float, [this.hidden], gateBias(weight(this.source, `rnn.bias_hh_l${this.k}`).data, gate, this.hidden));
    return this.g.op('Add', [product, b], `l${this.k}.h${name}_b`);
  }

  /** x·W_iᵀ + h·W_hᵀ + (b_i + b_h): the two biases are one constant when nothing sits between them. */
  preActivation(gate: number, name: string): string {
    const biasSum = gateBias(weight(this.source, `rnn.bias_ih_l${this.k}`).data, gate, this.hidden);
    const bhh = gateBias(weight(this.source, `rnn.bias_hh_l${this.k}`).data, gate, this.hidden);
    for (let j = 0; j < biasSum.length; j++) biasSum[j] += bhh[j];
    const b = this.g.initializer(`rnn.l${this.k}.b_${name}`, this.float, [this.hidden], biasSum);
    const sum = this.g.op('Add', [this.input(gate, name, false), this.recurrent(gate, name, false)], `l${this.k}.${name}_xh`);
    return this.g.op('Add', [sum, b], `l${this.k}.${name}_pre`);
  }
}

/**
 * The "step" graph: one character per call (seq fixed to 1), written with MatMul, Gather and
 * elementwise ops only, so it runs on providers without RNN kernels (onnxruntime-web's WebGPU).
 * The cells read like DESIGN.md's equations; `x` is [1, batch, in], each layer's h is [batch, H],
 * and broadcasting makes every new state [1, batch, H], ready to be concatenated into `hn`.
 */
export function buildStepGraph(g: GraphBuilder, source: ExportSource, float: ElementType): void {
  const { arch, numLayers } = source.config;
  const inputs = declareInputs(g, source, float, 1);
  let x = embed(g, source, float, inputs.tokens);
  const finalH: string[] = [];
  const finalC: string[] = [];
  for (let k = 0; k < numLayers; k++) {
    // A scalar index drops the layer axis: h is [batch, H].
    const layer = g.initializer(`layer${k}.scalar`, 'int64', [], [k]);
    const h = g.op('Gather', [inputs.h0, layer], `l${k}.h`, { axis: attr.int(0) });
    const w = new LayerWeights(g, source, float, k, x, h);
    const at = (name: string): string => `l${k}.${name}`;
    let hNew: string;
    if (arch === 'rnn') {
      hNew = g.op('Tanh', [w.preActivation(0, 'h')], at('h_new'));
    } else if (arch === 'gru') {
      // PyTorch gate blocks: 0 = r, 1 = z, 2 = n.
      const r = g.op('Sigmoid', [w.preActivation(0, 'r')], at('r'));
      const z = g.op('Sigmoid', [w.preActivation(1, 'z')], at('z'));
      const gatedRecurrent = g.op('Mul', [r, w.recurrent(2, 'n', true)], at('r_hn'));
      const n = g.op('Tanh', [g.op('Add', [w.input(2, 'n', true), gatedRecurrent], at('n_pre'))], at('n'));
      // h' = n + z ⊙ (h − n)
      hNew = g.op('Add', [n, g.op('Mul', [z, g.op('Sub', [h, n], at('h_minus_n'))], at('z_h_minus_n'))], at('h_new'));
    } else {
      const c = g.op('Gather', [inputs.c0 as string, layer], at('c'), { axis: attr.int(0) });
      // PyTorch gate blocks: 0 = i, 1 = f, 2 = g, 3 = o.
      const i = g.op('Sigmoid', [w.preActivation(0, 'i')], at('i'));
      const f = g.op('Sigmoid', [w.preActivation(1, 'f')], at('f'));
      const cell = g.op('Tanh', [w.preActivation(2, 'g')], at('g'));
      const o = g.op('Sigmoid', [w.preActivation(3, 'o')], at('o'));
      // c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c')
      const cNew = g.op('Add', [g.op('Mul', [f, c], at('f_c')), g.op('Mul', [i, cell], at('i_g'))], at('c_new'));
      finalC.push(cNew);
      hNew = g.op('Mul', [o, g.op('Tanh', [cNew], at('tanh_c'))], at('h_new'));
    }
    finalH.push(hNew);
    x = hNew;
  }
  g.op('Concat', finalH, IO.hn, { axis: attr.int(0) });
  if (arch === 'lstm') g.op('Concat', finalC, IO.cn, { axis: attr.int(0) });
  decode(g, source, float, x);
  declareOutputs(g, source, float, 1);
}
