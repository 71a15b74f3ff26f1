/**
 * Contract 3 (docs/training-graphs.md): the training graphs of the ONNX Runtime engine, generated from the
 * model config and the window length. One graph per (config, seqLen, kind); the batch is a
 * symbolic dim. A "train" graph does a whole optimizer step in one run: forward over the BPTT
 * window from the carried state, mean cross-entropy, the hand-derived backward pass (onnxruntime
 * has no autograd), global-norm clipping and the Adam or SGD update.
 *
 * Layout: every [seq·batch, …] value is time-major (row t·batch + b), as in the tfjs fast path.
 * Weights enter in PyTorch's layout under their contract-1 names, so every projection is a Gemm
 * with transB = 1 (x·Wᵀ + b) and every backward product an untransposed MatMul or a Gemm with
 * transA = 1: MLAS packs either operand order itself.
 */
import { IO, STATE_IO, mapStates, type StateName } from '@charrnn/contract';
import { GraphBuilder, attr, cellSpec, encodeModel, type CellStep, type StateValues } from '@charrnn/graph';
import { isDecayed } from '../engine/regularization.js';
import { expectedShapes, gateCount, type ModelConfig } from '../model/config.js';

/** What a graph computes: a whole optimizer step, the gradients alone (tests), or the loss alone (validation). */
export type TrainingGraphKind = 'train' | 'gradients' | 'eval';

export type GraphOptimizer = { name: 'adam'; beta1: number; beta2: number; eps: number } | { name: 'sgd'; momentum: number };

export interface TrainingGraphSpec {
  config: ModelConfig;
  /** BPTT window length: the recurrence is unrolled, one graph per length. */
  seqLen: number;
  kind: TrainingGraphKind;
  /** Required for kind "train". */
  optimizer?: GraphOptimizer;
  /** Max global gradient norm (torch.nn.utils.clip_grad_norm_), null for none. */
  clip?: number | null;
  /** Whether the between-layer dropout masks are inputs (training with dropout > 0 and more than one layer). */
  dropout?: boolean;
  /** Whether the locked embedding-dropout mask `mask.embed` is an input. */
  embedDropout?: boolean;
  /** Whether the locked output-dropout mask `mask.output` (before the decoder) is an input. */
  outputDropout?: boolean;
  /** Whether the weight-drop masks `mask.weight_hh_l{k}` are inputs (DropConnect on weight_hh). */
  weightDrop?: boolean;
  /** decoder.weight is encoder.weight: one parameter, no decoder.weight input (needs embeddingDim = hiddenSize). */
  tie?: boolean;
  /** AdamW's decoupled weight decay λ: p ← p − lr·λ·p on every weight (not the biases) besides the update. */
  weightDecay?: number;
}

/** The value names of contract 3; the tokens and state carry contract 2's names. */
export const TRAINING_IO = {
  tokens: IO.tokens,
  targets: 'targets',
  h0: IO.h0,
  c0: IO.c0,
  lr: 'lr',
  /** Adam's 1 − β1ᵗ and √(1 − β2ᵗ) (torch.optim.Adam's names), float32 scalars computed by the engine in float64. */
  biasCorrection1: 'bias_correction1',
  biasCorrection2Sqrt: 'bias_correction2_sqrt',
  loss: 'loss',
  hn: IO.hn,
  cn: IO.cn,
  gradNorm: 'grad_norm',
  /** Locked dropout multiplier for the output of layer k, [batch, hidden], applied at every step. */
  mask: (k: number) => `mask.l${k}`,
  /** Locked dropout multiplier for the embedding output, [batch, embed]. */
  maskEmbed: 'mask.embed',
  /** Locked dropout multiplier for the last layer's output before the decoder, [batch, hidden]. */
  maskOutput: 'mask.output',
  /** DropConnect multiplier of weight_hh of layer k, [G·hidden, hidden], shared by all streams and steps. */
  maskWeightHh: (k: number) => `mask.weight_hh_l${k}`,
  /** Adam's first moment or SGD's momentum buffer of a parameter. */
  m: (name: string) => `m.${name}`,
  /** Adam's second moment. */
  v: (name: string) => `v.${name}`,
  /** The updated value of a weight or optimizer slot. */
  updated: (name: string) => `new.${name}`,
  /** A parameter's gradient (kind "gradients"). */
  grad: (name: string) => `grad.${name}`,
} as const;

interface LayerTrace {
  /** Input of the layer's projection, [seq·batch, in] (null for layer 0 without embedding dropout: the embedding table is used). */
  input: string | null;
  /** The locked mask on that input, tiled to [seq·batch, in], or null. */
  mask: string | null;
  /** weight_hh as the layer uses it (times its weight-drop mask, if any). */
  weightHh: string;
  h0: string;
  steps: CellStep[];
  /** Every step's output, [seq·batch, hidden]. */
  output: string;
}

const INT = (value: number) => attr.int(value);

/**
 * Inputs plus outputs of one Concat. onnxruntime-web's WebGPU provider binds each as a storage
 * buffer, and WebGPU's default limit is 10 per shader stage: a Concat or Split over a whole
 * window failed past 9 steps ("Too many storage buffers in shader. Current: 11, Max is 10", a
 * 32-step window in Chromium). Windows are concatenated in a tree of small Concats instead, and
 * split by Gather.
 */
const MAX_CONCAT_INPUTS = 8;

/** Rows of `values` stacked (axis 0), as Concats of at most MAX_CONCAT_INPUTS inputs. */
function concatRows(g: GraphBuilder, values: string[], name: string): string {
  if (values.length === 1) return values[0];
  if (values.length <= MAX_CONCAT_INPUTS) return g.op('Concat', values, name, { axis: INT(0) });
  const groups: string[] = [];
  for (let i = 0; i < values.length; i += MAX_CONCAT_INPUTS) groups.push(concatRows(g, values.slice(i, i + MAX_CONCAT_INPUTS), `${name}.part${i / MAX_CONCAT_INPUTS}`));
  return concatRows(g, groups, name);
}

/** The T time steps of `value` [T·batch, width] as T values [batch, width]: Reshape to [T, batch, width], then one Gather per step. */
function stepRows(g: GraphBuilder, value: string, T: number, width: number, name: string): string[] {
  if (T === 1) return [value];
  const steps = g.op('Reshape', [value, g.constant('int64', [3], [T, -1, width])], `${name}.steps`);
  return Array.from({ length: T }, (_, t) => g.op('Gather', [steps, g.constant('int64', [], [t])], `${name}.t${t}`, { axis: INT(0) }));
}

/** Builds the graph of `spec` as a serialized ONNX model (opset 17). */
export function buildTrainingGraph(spec: TrainingGraphSpec): Uint8Array {
  const { config, seqLen: T, kind } = spec;
  const { arch, hiddenSize: H } = config;
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`training graph seqLen is ${T}, expected a positive integer`);
  if (kind === 'train' && spec.optimizer === undefined) throw new RangeError('a "train" graph needs an optimizer');
  const tie = spec.tie === true;
  if (tie && config.embeddingDim !== H) throw new RangeError(`a tied decoder needs embeddingDim = hiddenSize, got ${config.embeddingDim} and ${H}`);
  // The parameters the graph takes and updates: a tied decoder.weight is encoder.weight.
  const shapes = trainedShapes(config, tie);
  const g = new GraphBuilder(`charrnn_${arch}_train_${kind}_seq${T}`);
  const inputs = graphInputs(g, spec, shapes);
  const forward = appendForward(g, spec, inputs);
  const loss = appendLoss(g, spec, inputs, forward.top);
  if (kind === 'eval') return encode(g);

  const grads = appendBackward(g, spec, inputs, forward.layers, loss);
  if (kind === 'gradients') {
    for (const [name, shape] of shapes) {
      g.op('Identity', [grads.get(name) as string], TRAINING_IO.grad(name));
      g.output(TRAINING_IO.grad(name), 'float32', shape);
    }
    return encode(g);
  }
  const norm = appendGradientNorm(g, shapes, grads);
  appendUpdate(g, spec.optimizer as GraphOptimizer, shapes, clippedGradients(g, grads, norm, spec.clip), spec.weightDecay ?? 0);
  return encode(g);
}

/** The graph's inputs other than the optimizer's: tokens, targets, the carried state, the parameters and the dropout masks. */
interface GraphInputs {
  cell: ReturnType<typeof cellSpec>;
  tokens: string;
  targets: string;
  /** Tokens and targets as one column each, [seq·batch] (time-major). */
  tokensFlat: string;
  targetsFlat: string;
  /** The carried state, [layers, batch, hidden] each. */
  initial: Map<StateName, string>;
  /** Layer k+1's locked input mask (between-layer dropout), tiled to [seq·batch, hidden], or null. */
  masks: (string | null)[];
  embedMask: string | null;
  outputMask: string | null;
  /** Layer k's DropConnect mask of weight_hh, or null. */
  weightMasks: (string | null)[];
}

function graphInputs(g: GraphBuilder, spec: TrainingGraphSpec, shapes: ReadonlyMap<string, number[]>): GraphInputs {
  const { config, seqLen: T, kind } = spec;
  const { arch, hiddenSize: H, numLayers: L } = config;
  const G = gateCount(arch);
  const training = kind !== 'eval';
  const io = TRAINING_IO;
  const withDropout = spec.dropout === true && L > 1 && training;
  const tokens = g.input(io.tokens, 'int64', [T, 'batch']);
  const targets = g.input(io.targets, 'int64', [T, 'batch']);
  const cell = cellSpec(arch);
  const initial = new Map<StateName, string>(cell.states.map((s) => [s, g.input(STATE_IO[s].input, 'float32', [L, 'batch', H])]));
  for (const [name, shape] of shapes) g.input(name, 'float32', shape);
  // A locked mask is one row per stream, [batch, width]; tiled T times it is the row of every
  // step of [T·batch, width] (time-major rows t·batch + b).
  const lockedMask = (name: string, width: number): string => {
    const mask = g.input(name, 'float32', ['batch', width]);
    return T === 1 ? mask : g.op('Tile', [mask, g.constant('int64', [2], [T, 1])], `${name}.tiled`);
  };
  const masks = Array.from({ length: L - 1 }, (_, k) => (withDropout ? lockedMask(io.mask(k), H) : null));
  const embedMask = spec.embedDropout === true && training ? lockedMask(io.maskEmbed, config.embeddingDim) : null;
  const outputMask = spec.outputDropout === true && training ? lockedMask(io.maskOutput, H) : null;
  const weightMasks = Array.from({ length: L }, (_, k) => (spec.weightDrop === true && training ? g.input(io.maskWeightHh(k), 'float32', [G * H, H]) : null));
  const flat = g.constant('int64', [1], [-1]);
  const tokensFlat = g.op('Reshape', [tokens, flat], 'tokens.flat');
  const targetsFlat = g.op('Reshape', [targets, flat], 'targets.flat');
  return { cell, tokens, targets, tokensFlat, targetsFlat, initial, masks, embedMask, outputMask, weightMasks };
}

/** The forward pass: every layer unrolled over the window, and the final state as outputs `hn` (`cn`). */
function appendForward(g: GraphBuilder, spec: TrainingGraphSpec, inputs: GraphInputs): { layers: LayerTrace[]; top: string } {
  const { config, seqLen: T } = spec;
  const { arch, hiddenSize: H, numLayers: L } = config;
  const G = gateCount(arch);
  const { cell, initial, masks, embedMask, weightMasks } = inputs;
  const { tokensFlat } = inputs;
  const layers: LayerTrace[] = [];
  let x: string | null = null;
  for (let k = 0; k < L; k++) {
    const weightIh = `rnn.weight_ih_l${k}`;
    const weightMask = weightMasks[k];
    const weightHh = weightMask === null ? `rnn.weight_hh_l${k}` : g.op('Mul', [`rnn.weight_hh_l${k}`, weightMask], `l${k}.weight_hh.dropped`);
    const biasIh = `rnn.bias_ih_l${k}`;
    const biasHh = `rnn.bias_hh_l${k}`;
    let gx: string;
    let input: string | null = null;
    const mask = k > 0 ? masks[k - 1] : embedMask;
    if (k === 0 && mask !== null) {
      // With embedding dropout the embedded rows are needed themselves: gather, mask, project.
      const embedded = g.op('Gather', ['encoder.weight', tokensFlat], 'l0.embedded', { axis: INT(0) });
      input = g.op('Mul', [embedded, mask], 'l0.input');
      gx = g.op('Gemm', [input, weightIh, biasIh], 'l0.gx', { transB: INT(1) });
    } else if (k === 0) {
      // Embedding fused into the first projection: E[id]·W_ihᵀ + b is row `id` of the [vocab, G·H]
      // table E·W_ihᵀ + b, one tiny Gemm; the window's inputs then gather rows of it.
      const table = g.op('Gemm', ['encoder.weight', weightIh, biasIh], 'l0.table', { transB: INT(1) });
      gx = g.op('Gather', [table, tokensFlat], 'l0.gx', { axis: INT(0) });
    } else {
      input = mask !== null ? g.op('Mul', [x as string, mask], `l${k}.input`) : (x as string);
      gx = g.op('Gemm', [input, weightIh, biasIh], `l${k}.gx`, { transB: INT(1) });
    }
    const gxSteps = stepRows(g, gx, T, G * H, `l${k}.gx`);
    const layerIndex = g.constant('int64', [], [k]);
    const start = mapStates(arch, (s) => g.op('Gather', [initial.get(s) as string, layerIndex], `l${k}.${STATE_IO[s].input}`, { axis: INT(0) }));
    let state = start;
    const steps: CellStep[] = [];
    for (let t = 0; t < T; t++) {
      const name = `l${k}.t${t}`;
      const hp = g.op('Gemm', [state.h, weightHh, biasHh], `${name}.hp`, { transB: INT(1) });
      state = cell.forward(g, gxSteps[t], hp, state, H, name);
      steps.push(state);
    }
    const output = concatRows(g, steps.map((s) => s.h), `l${k}.output`);
    layers.push({ input, mask, weightHh, h0: start.h, steps, output });
    x = output;
  }
  const stateAxis = g.constant('int64', [1], [0]);
  for (const s of cell.states) {
    const name = STATE_IO[s].output;
    g.op('Concat', layers.map((l, k) => g.op('Unsqueeze', [l.steps[T - 1][s] as string, stateAxis], `l${k}.${name}`)), name, { axis: INT(0) });
  }
  return { layers, top: x as string };
}
/** What the backward pass reads of the loss. */
interface LossTrace {
  /** The decoder's input: the top layer's output, after output dropout. */
  decoded: string;
  logProbs: string;
  targetOneHot: string;
  /** The number of targets, float32. */
  count: string;
  /** One-hot rows of int64 `ids` [n], [n, vocab]. */
  oneHot: (ids: string, name: string) => string;
}

/** The decoder, log-softmax and the mean cross-entropy as output `loss`; the state outputs declared after it. */
function appendLoss(g: GraphBuilder, spec: TrainingGraphSpec, inputs: GraphInputs, top: string): LossTrace {
  const { vocabSize: V, hiddenSize: H, numLayers: L } = spec.config;
  const { outputMask } = inputs;
  const decoderWeight = spec.tie === true ? 'encoder.weight' : 'decoder.weight';
  const decoded = outputMask === null ? top : g.op('Mul', [top, outputMask], 'output.dropped');
  const logits = g.op('Gemm', [decoded, decoderWeight, 'decoder.bias'], IO.logits, { transB: INT(1) });
  // log_softmax written out (x − max − log Σ exp(x − max)), and one-hot rows below without
  // OneHot: onnxruntime-web's WebGPU provider has neither kernel, and placing them on the CPU
  // copied the logits to the host and back every step.
  const shifted = g.op('Sub', [logits, g.op('ReduceMax', [logits], 'logits.max', { axes: attr.ints([1]), keepdims: INT(1) })], 'logits.shifted');
  const classAxis = g.constant('int64', [1], [1]);
  const logSumExp = g.op('Log', [g.op('ReduceSum', [g.op('Exp', [shifted], 'logits.exp'), classAxis], 'logits.exp_sum', { keepdims: INT(1) })], 'logits.log_sum_exp');
  const logProbs = g.op('Sub', [shifted, logSumExp], 'log_probs');
  // One-hot rows in float arithmetic, which WebGPU runs (its int64 Equal is placed on the CPU):
  // ids become a float column by a Gather from 0…V−1, and relu(1 − |id − class|) is 1 where
  // they are equal and 0 elsewhere (exact for integers).
  const classIds = Array.from({ length: V }, (_, i) => i);
  const classColumn = g.constant('float32', [V, 1], classIds);
  const classRow = g.constant('float32', [1, V], classIds);
  const one = g.constant('float32', [], [1]);
  const oneHot = (ids: string, name: string) => {
    const distance = g.op('Abs', [g.op('Sub', [g.op('Gather', [classColumn, ids], `${name}.ids`, { axis: INT(0) }), classRow], `${name}.diff`)], `${name}.distance`);
    return g.op('Relu', [g.op('Sub', [one, distance], `${name}.closeness`)], name);
  };
  const targetOneHot = oneHot(inputs.targetsFlat, 'targets.one_hot');
  const lossSum = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [logProbs, targetOneHot], 'picked')], 'neg_loss_sum', { keepdims: INT(0) })], 'loss_sum');
  const count = g.op('Cast', [g.op('Size', [inputs.targets], 'target_count')], 'target_count.f', { to: INT(1) });
  g.op('Div', [lossSum, count], TRAINING_IO.loss);
  g.output(TRAINING_IO.loss, 'float32', []);
  for (const s of inputs.cell.states) g.output(STATE_IO[s].output, 'float32', [L, 'batch', H]);
  return { decoded, logProbs, targetOneHot, count, oneHot };
}

/** The hand-derived backward pass: every parameter's gradient of the mean loss, by name. */
function appendBackward(g: GraphBuilder, spec: TrainingGraphSpec, inputs: GraphInputs, layers: readonly LayerTrace[], loss: LossTrace): Map<string, string> {
  const { config, seqLen: T } = spec;
  const { hiddenSize: H, numLayers: L } = config;
  const tie = spec.tie === true;
  const decoderWeight = tie ? 'encoder.weight' : 'decoder.weight';
  const { cell, outputMask, weightMasks, tokensFlat } = inputs;
  const { decoded, oneHot } = loss;
  // d(mean NLL)/dlogits = (softmax − onehot) / count.
  const grads = new Map<string, string>();
  const dLogits = g.op('Div', [g.op('Sub', [g.op('Exp', [loss.logProbs], 'probs'), loss.targetOneHot], 'probs_minus_onehot'), loss.count], 'd.logits');
  const rows = g.constant('int64', [1], [0]);
  const columnSums = (value: string, name: string) => g.op('ReduceSum', [value, rows], name, { keepdims: INT(0) });
  const decoderGrad = g.op('Gemm', [dLogits, decoded], 'grad.decoder.weight.raw', { transA: INT(1) });
  if (!tie) grads.set('decoder.weight', decoderGrad);
  grads.set('decoder.bias', columnSums(dLogits, 'grad.decoder.bias.raw'));
  let dOutput =
    outputMask === null
      ? g.op('MatMul', [dLogits, decoderWeight], `d.l${L - 1}.output`)
      : g.op('Mul', [g.op('MatMul', [dLogits, decoderWeight], 'd.decoded'), outputMask], `d.l${L - 1}.output`);
  for (let k = L - 1; k >= 0; k--) {
    const layer = layers[k];
    const weightHh = layer.weightHh;
    const dSteps = stepRows(g, dOutput, T, H, `d.l${k}.output`);
    const dGx = new Array<string>(T);
    const dGh = new Array<string>(T);
    // Gradients reaching each step's new state from the step after it (none after the window's last).
    let dNext: StateValues | undefined;
    for (let t = T - 1; t >= 0; t--) {
      const name = `d.l${k}.t${t}`;
      const dh = dNext === undefined ? dSteps[t] : g.op('Add', [dSteps[t], dNext.h], `${name}.dh`);
      // The state entering the window is detached: no gradient flows out of step 0.
      const prevWeight = t > 0 ? weightHh : null;
      const back = cell.backward(g, layer.steps[t], { ...dNext, h: dh }, prevWeight, name);
      dGx[t] = back.dGx;
      dGh[t] = back.dGh;
      dNext = back.dPrev;
    }
    const all = (values: string[], name: string) => concatRows(g, values, name);
    const dGxAll = all(dGx, `d.l${k}.gx`);
    // Cells that add the two projections before any gate give one gradient for both.
    const dGhAll = dGh.every((v, t) => v === dGx[t]) ? dGxAll : all(dGh, `d.l${k}.gh`);
    const hPrev = all([layer.h0, ...layer.steps.slice(0, T - 1).map((s) => s.h)], `l${k}.h_prev`);
    // Through W_hh ⊙ M: the gradient of W_hh is that of the product times M.
    const dWeightHh = g.op('Gemm', [dGhAll, hPrev], `grad.rnn.weight_hh_l${k}.raw`, { transA: INT(1) });
    const weightMask = weightMasks[k];
    grads.set(`rnn.weight_hh_l${k}`, weightMask === null ? dWeightHh : g.op('Mul', [dWeightHh, weightMask], `grad.rnn.weight_hh_l${k}.dropped`));
    grads.set(`rnn.bias_hh_l${k}`, columnSums(dGhAll, `grad.rnn.bias_hh_l${k}.raw`));
    const weightIh = `rnn.weight_ih_l${k}`;
    if (k === 0 && layer.mask !== null) {
      // Through the masked embedded rows: dE = onehot(tokens)ᵀ·(dGx·W_ih ⊙ mask), a scatter-add by token id.
      grads.set('rnn.weight_ih_l0', g.op('Gemm', [dGxAll, layer.input as string], 'grad.rnn.weight_ih_l0.raw', { transA: INT(1) }));
      grads.set('rnn.bias_ih_l0', columnSums(dGxAll, 'grad.rnn.bias_ih_l0.raw'));
      const dEmbedded = g.op('Mul', [g.op('MatMul', [dGxAll, weightIh], 'd.l0.input'), layer.mask], 'd.l0.embedded');
      grads.set('encoder.weight', g.op('Gemm', [oneHot(tokensFlat, 'tokens.one_hot'), dEmbedded], 'grad.encoder.weight.raw', { transA: INT(1) }));
    } else if (k > 0) {
      grads.set(`rnn.weight_ih_l${k}`, g.op('Gemm', [dGxAll, layer.input as string], `grad.rnn.weight_ih_l${k}.raw`, { transA: INT(1) }));
      grads.set(`rnn.bias_ih_l${k}`, columnSums(dGxAll, `grad.rnn.bias_ih_l${k}.raw`));
      const dInput = g.op('MatMul', [dGxAll, weightIh], `d.l${k}.input`);
      dOutput = layer.mask !== null ? g.op('Mul', [dInput, layer.mask], `d.l${k - 1}.output`) : dInput;
    } else {
      // Through the embedding table: dTable = onehot(tokens)ᵀ·dGx (a scatter-add of dGx rows by
      // token id), then dE = dTable·W_ih, dW_ih = dTableᵀ·E, db_ih = Σ dGx rows.
      const tokenOneHot = oneHot(tokensFlat, 'tokens.one_hot');
      const dTable = g.op('Gemm', [tokenOneHot, dGxAll], 'd.l0.table', { transA: INT(1) });
      grads.set('rnn.weight_ih_l0', g.op('Gemm', [dTable, 'encoder.weight'], 'grad.rnn.weight_ih_l0.raw', { transA: INT(1) }));
      grads.set('rnn.bias_ih_l0', columnSums(dGxAll, 'grad.rnn.bias_ih_l0.raw'));
      grads.set('encoder.weight', g.op('MatMul', [dTable, weightIh], 'grad.encoder.weight.raw'));
    }
  }
  // A tied weight's gradient sums its two uses, as autograd does for a shared parameter.
  if (tie) grads.set('encoder.weight', g.op('Add', [grads.get('encoder.weight') as string, decoderGrad], 'grad.encoder.weight.tied'));
  return grads;
}

/** The global gradient norm as output `grad_norm`, which clipping scales by. */
function appendGradientNorm(g: GraphBuilder, shapes: ReadonlyMap<string, number[]>, grads: ReadonlyMap<string, string>): string {
  const names = [...shapes.keys()];
  const squares = names.map((name) => g.op('ReduceSumSquare', [grads.get(name) as string], `sq.${name}`, { keepdims: INT(0) }));
  // A chain of Adds, not one Sum: WebGPU has no Sum kernel (and would bind all inputs at once).
  const sumSquares = squares.reduce((acc, sq, i) => (i === 0 ? sq : g.op('Add', [acc, sq], `grad_sq_sum.${i}`)));
  const norm = g.op('Sqrt', [sumSquares], TRAINING_IO.gradNorm);
  g.output(TRAINING_IO.gradNorm, 'float32', []);
  return norm;
}

/** The parameters a graph takes, updates and (kind "gradients") differentiates: every contract-1 tensor, less decoder.weight when it is tied to encoder.weight. */
export function trainedShapes(config: ModelConfig, tie = false): Map<string, number[]> {
  const shapes = expectedShapes(config);
  if (tie) shapes.delete('decoder.weight');
  return shapes;
}

/** The gradients the update reads: scaled by c / (norm + 1e-6) when norm > c (torch.nn.utils.clip_grad_norm_), else as they are. */
function clippedGradients(g: GraphBuilder, grads: ReadonlyMap<string, string>, norm: string | null, clip: number | null | undefined): (name: string) => string {
  if (clip === undefined || clip === null || norm === null) return (name) => grads.get(name) as string;
  const maxNorm = g.constant('float32', [], [clip]);
  const scaled = g.op('Div', [maxNorm, g.op('Add', [norm, g.constant('float32', [], [1e-6])], 'norm_eps')], 'clip_ratio');
  const scale = g.op('Where', [g.op('Greater', [norm, maxNorm], 'clipping'), scaled, g.constant('float32', [], [1])], 'clip_scale');
  return (name) => g.op('Mul', [grads.get(name) as string, scale], `grad.${name}.clipped`);
}

/**
 * The optimizer update of every parameter in `shapes`: inputs `lr` (Adam: the bias corrections)
 * and each parameter's slots; outputs `new.<name>` and its updated slots.
 */
function appendUpdate(g: GraphBuilder, optimizer: GraphOptimizer, shapes: ReadonlyMap<string, (number | string)[]>, gradient: (name: string) => string, weightDecay = 0): void {
  const io = TRAINING_IO;
  const lr = g.input(io.lr, 'float32', []);
  // torch.optim.AdamW's decoupled decay: p·(1 − lr·λ) in place of p, then the usual update.
  const keep = weightDecay > 0 ? g.op('Sub', [g.constant('float32', [], [1]), g.op('Mul', [lr, g.constant('float32', [], [weightDecay])], 'lr_decay')], 'decay_keep') : null;
  const start = (name: string) => (keep !== null && isDecayed(name) ? g.op('Mul', [name, keep], `${name}.decayed`) : name);
  if (optimizer.name === 'adam') {
    // torch.optim.Adam: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
    // p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). The corrections come in as float32 scalars,
    // computed in float64 from the step count and rounded once, as the tfjs engine does. (They
    // were float64 nodes in the graph; onnxruntime-web's WebGPU builds have no float64 kernels
    // for them and refuse the session.)
    const correction1 = g.input(io.biasCorrection1, 'float32', []);
    const sqrtCorrection2 = g.input(io.biasCorrection2Sqrt, 'float32', []);
    // lr/c1 · m / (√v/√c2 + ε) = (lr·√c2/c1) · m / (√v + ε·√c2): one pass less per parameter.
    const stepSize = g.op('Div', [g.op('Mul', [lr, sqrtCorrection2], 'lr_sqrt_c2'), correction1], 'step_size');
    const beta1 = g.constant('float32', [], [optimizer.beta1]);
    const oneMinusBeta1 = g.constant('float32', [], [1 - optimizer.beta1]);
    const beta2 = g.constant('float32', [], [optimizer.beta2]);
    const oneMinusBeta2 = g.constant('float32', [], [1 - optimizer.beta2]);
    const epsHat = g.op('Mul', [g.constant('float32', [], [optimizer.eps]), sqrtCorrection2], 'eps_hat');
    for (const [name, shape] of shapes) {
      const grad = gradient(name);
      const m = g.input(io.m(name), 'float32', shape);
      const v = g.input(io.v(name), 'float32', shape);
      const mNew = g.op('Add', [g.op('Mul', [m, beta1], `${name}.m_decay`), g.op('Mul', [grad, oneMinusBeta1], `${name}.m_in`)], io.updated(io.m(name)));
      const gradSq = g.op('Mul', [grad, grad], `${name}.g_sq`);
      const vNew = g.op('Add', [g.op('Mul', [v, beta2], `${name}.v_decay`), g.op('Mul', [gradSq, oneMinusBeta2], `${name}.v_in`)], io.updated(io.v(name)));
      const denom = g.op('Add', [g.op('Sqrt', [vNew], `${name}.v_sqrt`), epsHat], `${name}.denom`);
      const update = g.op('Mul', [g.op('Div', [mNew, denom], `${name}.ratio`), stepSize], `${name}.update`);
      g.op('Sub', [start(name), update], io.updated(name));
      for (const out of [io.updated(name), io.updated(io.m(name)), io.updated(io.v(name))]) g.output(out, 'float32', shape);
    }
  } else {
    // torch.optim.SGD with momentum (dampening 0): b ← μ·b + g, p ← p − lr·b (b starts at zeros, so b = g on the first step).
    const momentum = g.constant('float32', [], [optimizer.momentum]);
    for (const [name, shape] of shapes) {
      const m = g.input(io.m(name), 'float32', shape);
      const mNew = g.op('Add', [g.op('Mul', [m, momentum], `${name}.m_decay`), gradient(name)], io.updated(io.m(name)));
      g.op('Sub', [start(name), g.op('Mul', [mNew, lr], `${name}.update`)], io.updated(name));
      for (const out of [io.updated(name), io.updated(io.m(name))]) g.output(out, 'float32', shape);
    }
  }
}

function encode(g: GraphBuilder): Uint8Array {
  return encodeModel(g.build(), { opset: 17, irVersion: 8, metadata: {}, producerName: '@charrnn/train', producerVersion: '0.1.0' });
}
