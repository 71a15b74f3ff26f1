// The training graphs run by onnxruntime-node against the tfjs engine (the tape reference,
// lossAndGradients): loss, final state, every gradient, and one whole optimizer step.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { Rng } from '@charrnn/data';
import { CharModel } from '../model/char-model.js';
import { ARCHS, type Arch, type ModelConfig } from '../model/config.js';
import { useBackend } from '../model/test-helpers/backends.js';
import { relativeErrorOf } from '../fast/test-helpers/relative-error.js';
import { paramOffsets, randomWeights, tiedWeights, type Weights } from '../model/weights.js';
import { createOptimizer } from '../optim/create.js';
import { clipGradNorm, lossAndGradients, type TokenBatch } from '../trainer/gradients.js';
import { clipGradScale, decayPieces, flatStep } from '../optim/flat-step.js';
import { SimdStep } from '../optim/simd-step.js';
import { TRAINING_IO as IO, buildTrainingGraph, type GraphOptimizer } from './training-graph.js';
import { REFERENCE_STATES } from '../model/test-helpers/reference.js';
import { NO_REGULARIZATION, regularizationOf, type Regularization } from '../engine/regularization.js';
import { maskDims, windowMasks, type WindowMask } from './ort-engine.js';

const SEQ = 5;
const BATCH = 4;

function randomBatch(rng: Rng, vocab: number, seq = SEQ): TokenBatch {
  const ids = () => Int32Array.from({ length: seq * BATCH }, () => Math.floor(rng.next() * vocab));
  return { input: ids(), target: ids(), seqLen: seq, batchSize: BATCH };
}

function randomState(rng: Rng, config: ModelConfig): { h: Float32Array; c?: Float32Array } {
  const block = () => Float32Array.from({ length: config.numLayers * BATCH * config.hiddenSize }, () => rng.next() - 0.5);
  return Object.fromEntries(REFERENCE_STATES[config.arch].map((s) => [s, block()])) as unknown as { h: Float32Array; c?: Float32Array };
}

function feeds(config: ModelConfig, weights: Weights, batch: TokenBatch, state: { h: Float32Array; c?: Float32Array }, masks: WindowMask[], tie = false): Record<string, ort.Tensor> {
  const { numLayers: L, hiddenSize: H } = config;
  const ids = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, (v) => BigInt(v)), [batch.seqLen, batch.batchSize]);
  const out: Record<string, ort.Tensor> = {
    [IO.tokens]: ids(batch.input),
    [IO.targets]: ids(batch.target),
    [IO.h0]: new ort.Tensor('float32', state.h, [L, batch.batchSize, H]),
  };
  if (state.c) out[IO.c0] = new ort.Tensor('float32', state.c, [L, batch.batchSize, H]);
  // A tied graph has no decoder.weight input: it decodes with encoder.weight.
  for (const [name, t] of weights) if (!(tie && name === 'decoder.weight')) out[name] = new ort.Tensor('float32', t.data, t.shape);
  for (const m of masks) out[m.name] = new ort.Tensor('float32', m.data, maskDims(m, batch.batchSize));
  return out;
}

/** The masks both engines draw for a window from `seed`, in their order (engine/window-masks.ts). */
function masksFor(config: ModelConfig, seed: number, seq = SEQ, regularization: Regularization = NO_REGULARIZATION): WindowMask[] {
  return windowMasks(config, seq, BATCH, new Rng(seed), regularization);
}

const CASES: [Arch, number, number, number][] = [
  ...ARCHS.flatMap((arch): [Arch, number, number, number][] => [
    [arch, 1, 0, SEQ],
    [arch, 2, 0, SEQ],
    [arch, 2, 0.3, SEQ],
  ]),
  // Windows longer than one Concat takes (MAX_CONCAT_INPUTS): the steps are stacked in a tree.
  ['gru', 2, 0.3, 19],
  ['lstm', 1, 0, 19],
];

describe('ONNX training graphs against the tfjs engine', () => {
  beforeAll(() => useBackend('cpu'));

  test.each(CASES)('%s, %i layer(s), dropout %f, %i steps: loss, final state and every gradient within 1e-4', async (arch, numLayers, dropout, seq) => {
    const config: ModelConfig = { arch, vocabSize: 11, embeddingDim: 6, hiddenSize: 8, numLayers, dropout };
    const weights = randomWeights(config, 21 + numLayers);
    const model = CharModel.fromWeights(config, weights);
    const rng = new Rng(5);
    const batch = randomBatch(rng, config.vocabSize, seq);
    const state = randomState(rng, config);
    const tfState = { h: tf.tensor3d(state.h, [numLayers, BATCH, 8]), ...(state.c ? { c: tf.tensor3d(state.c, [numLayers, BATCH, 8]) } : {}) };
    const reference = lossAndGradients(model, batch, tfState, { training: true, rng: new Rng(9) });

    const session = await ort.InferenceSession.create(buildTrainingGraph({ config, seqLen: seq, kind: 'gradients', dropout: dropout > 0 }));
    const out = await session.run(feeds(config, weights, batch, state, masksFor(config, 9, seq)));

    expect(Math.abs((out[IO.loss].data as Float32Array)[0] - reference.loss) / reference.loss).toBeLessThan(1e-6);
    expect(relativeErrorOf(out[IO.hn].data as Float32Array, reference.state.h.dataSync())).toBeLessThan(1e-6);
    if (reference.state.c) expect(relativeErrorOf(out[IO.cn].data as Float32Array, reference.state.c!.dataSync())).toBeLessThan(1e-6);
    let worst = 0;
    for (const [name, g] of reference.grads) {
      const got = out[IO.grad(name)];
      expect(got.dims).toEqual(g.shape);
      const err = relativeErrorOf(got.data as Float32Array, g.dataSync());
      expect([name, err < 1e-4]).toEqual([name, true]);
      worst = Math.max(worst, err);
    }
    console.log(`ort ${arch} ×${numLayers} dropout ${dropout}, ${seq} steps: worst gradient relative error ${worst.toExponential(2)}`);
    tf.dispose([...reference.grads.values(), reference.state.h, reference.state.c as tf.Tensor]);
    model.dispose();
  });

  // Each feature alone on a GRU, all of them on every cell; 2 layers with dropout 0.3 throughout.
  const REGULARIZED: [string, Arch, Partial<Regularization>][] = [
    ['gru, embedding dropout 0.2', 'gru', { embedDropout: 0.2 }],
    ['gru, output dropout 0.4', 'gru', { outputDropout: 0.4 }],
    ['gru, weight drop 0.5', 'gru', { weightDrop: 0.5 }],
    ['gru, tied decoder', 'gru', { tie: true }],
    ...ARCHS.map((arch): [string, Arch, Partial<Regularization>] => [`${arch}, all four`, arch, { embedDropout: 0.2, outputDropout: 0.4, weightDrop: 0.5, tie: true }]),
  ];

  test.each(REGULARIZED)('%s: loss, final state and every gradient of the tape within 1e-4, and the masks change the loss', async (_label, arch, given) => {
    // Embedding = hidden, so that tying is possible.
    const config: ModelConfig = { arch, vocabSize: 11, embeddingDim: 8, hiddenSize: 8, numLayers: 2, dropout: 0.3 };
    const reg = regularizationOf(given, config);
    const weights = reg.tie ? tiedWeights(randomWeights(config, 31)) : randomWeights(config, 31);
    const model = CharModel.fromWeights(config, weights, { tie: reg.tie });
    const rng = new Rng(5);
    const batch = randomBatch(rng, config.vocabSize);
    const state = randomState(rng, config);
    const tfState = { h: tf.tensor3d(state.h, [2, BATCH, 8]), ...(state.c ? { c: tf.tensor3d(state.c, [2, BATCH, 8]) } : {}) };
    const reference = lossAndGradients(model, batch, tfState, { training: true, rng: new Rng(9), regularization: reg });

    const flags = { dropout: true, embedDropout: reg.embedDropout > 0, outputDropout: reg.outputDropout > 0, weightDrop: reg.weightDrop > 0, tie: reg.tie };
    const session = await ort.InferenceSession.create(buildTrainingGraph({ config, seqLen: SEQ, kind: 'gradients', ...flags }));
    const out = await session.run(feeds(config, weights, batch, state, masksFor(config, 9, SEQ, reg), reg.tie));
    const loss = (out[IO.loss].data as Float32Array)[0];
    expect(Math.abs(loss - reference.loss) / reference.loss).toBeLessThan(1e-6);
    expect(relativeErrorOf(out[IO.hn].data as Float32Array, reference.state.h.dataSync())).toBeLessThan(1e-6);
    if (reference.state.c) expect(relativeErrorOf(out[IO.cn].data as Float32Array, reference.state.c.dataSync())).toBeLessThan(1e-6);
    // A tied model has one matrix: its gradient sums both uses, and there is no decoder.weight gradient.
    expect([...reference.grads.keys()].includes('decoder.weight')).toBe(!reg.tie);
    expect(IO.grad('decoder.weight') in out).toBe(!reg.tie);
    let worst = 0;
    for (const [name, g] of reference.grads) {
      const err = relativeErrorOf(out[IO.grad(name)].data as Float32Array, g.dataSync());
      expect([name, err < 1e-4]).toEqual([name, true]);
      worst = Math.max(worst, err);
    }
    // Masks that were fed but not applied by both would still agree: the loss must differ from the unmasked one.
    const plain = await ort.InferenceSession.create(buildTrainingGraph({ config, seqLen: SEQ, kind: 'eval', tie: reg.tie }));
    const unmasked = (await plain.run(feeds(config, weights, batch, state, [], reg.tie)))[IO.loss].data as Float32Array;
    expect(Math.abs(unmasked[0] - loss)).toBeGreaterThan(1e-3);
    console.log(`ort ${_label}: loss ${loss.toFixed(5)} (unmasked ${unmasked[0].toFixed(5)}), worst gradient relative error ${worst.toExponential(2)}`);
    tf.dispose([...reference.grads.values(), reference.state.h, reference.state.c as tf.Tensor, tfState.h, tfState.c as tf.Tensor]);
    model.dispose();
  });

  const OPTIMIZERS: [string, GraphOptimizer, number | null][] = [
    ['adam', { name: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8 }, null],
    ['adam, clipped at 0.05', { name: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8 }, 0.05],
    ['sgd momentum 0.9', { name: 'sgd', momentum: 0.9 }, null],
  ];
  // With AdamW's decoupled weight decay (0.5: large enough that a decay on the wrong tensors, or none, shows).
  const DECAYED: [string, GraphOptimizer, number | null, number][] = [
    ...OPTIMIZERS.map(([label, optimizer, clip]): [string, GraphOptimizer, number | null, number] => [label, optimizer, clip, 0]),
    ['adamw λ 0.5', { name: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8 }, null, 0.5],
    ['sgd momentum 0.9, decoupled decay 0.5', { name: 'sgd', momentum: 0.9 }, null, 0.5],
  ];

  test.each(DECAYED)('gru ×2 with dropout: three optimizer steps (%s) give the weights and slots of the tfjs engine', async (_label, optimizer, clip, weightDecay) => {
    const config: ModelConfig = { arch: 'gru', vocabSize: 11, embeddingDim: 6, hiddenSize: 8, numLayers: 2, dropout: 0.3 };
    let weights = randomWeights(config, 3);
    const model = CharModel.fromWeights(config, weights);
    const reference = createOptimizer(optimizer.name, { momentum: optimizer.name === 'sgd' ? optimizer.momentum : undefined, weightDecay });
    const session = await ort.InferenceSession.create(buildTrainingGraph({ config, seqLen: SEQ, kind: 'train', optimizer, clip, dropout: true, weightDecay }));
    const rng = new Rng(7);
    const slots = new Map<string, Float32Array>();
    for (const [name, t] of weights) {
      slots.set(IO.m(name), new Float32Array(t.data.length));
      if (optimizer.name === 'adam') slots.set(IO.v(name), new Float32Array(t.data.length));
    }
    const lr = 0.01;
    for (let step = 1; step <= 3; step++) {
      const batch = randomBatch(rng, config.vocabSize);
      const state = randomState(rng, config);
      const tfState = { h: tf.tensor3d(state.h, [2, BATCH, 8]) };
      const result = lossAndGradients(model, batch, tfState, { training: true, rng: new Rng(100 + step) });
      const norm = clipGradNorm(result.grads, clip ?? Infinity);
      reference.step(model.parameters, result.grads, lr);

      const f = feeds(config, weights, batch, state, masksFor(config, 100 + step));
      // Slots have their parameter's shape.
      for (const [name, t] of weights) {
        f[IO.m(name)] = new ort.Tensor('float32', slots.get(IO.m(name))!, t.shape);
        if (optimizer.name === 'adam') f[IO.v(name)] = new ort.Tensor('float32', slots.get(IO.v(name))!, t.shape);
      }
      f[IO.lr] = new ort.Tensor('float32', Float32Array.of(lr), []);
      if (optimizer.name === 'adam') {
        // torch.optim.Adam's defaults, as the graph was built with.
        f[IO.biasCorrection1] = new ort.Tensor('float32', Float32Array.of(1 - 0.9 ** step), []);
        f[IO.biasCorrection2Sqrt] = new ort.Tensor('float32', Float32Array.of(Math.sqrt(1 - 0.999 ** step)), []);
      }
      const out = await session.run(f);
      expect(Math.abs((out[IO.gradNorm].data as Float32Array)[0] - norm) / norm).toBeLessThan(1e-5);
      const next: Weights = new Map();
      for (const [name, t] of weights) {
        next.set(name, { shape: t.shape, data: new Float32Array(out[IO.updated(name)].data as Float32Array) });
        slots.set(IO.m(name), new Float32Array(out[IO.updated(IO.m(name))].data as Float32Array));
        if (optimizer.name === 'adam') slots.set(IO.v(name), new Float32Array(out[IO.updated(IO.v(name))].data as Float32Array));
      }
      weights = next;
      tf.dispose([...result.grads.values(), result.state.h, tfState.h]);
    }
    const want = model.getWeights();
    const wantSlots = reference.getState().slots;
    let worst = 0;
    for (const [name, t] of weights) {
      const moved = relativeErrorOf(t.data, randomWeights(config, 3).get(name)!.data);
      expect([name, moved > 1e-4]).toEqual([name, true]); // the step changed every tensor
      const err = relativeErrorOf(t.data, want.get(name)!.data);
      expect([name, err < 1e-4]).toEqual([name, true]);
      worst = Math.max(worst, err);
      const slot = optimizer.name === 'adam' ? 'exp_avg' : 'momentum_buffer';
      expect([name, relativeErrorOf(slots.get(IO.m(name))!, wantSlots.get(`${slot}.${name}`)!.data) < 1e-4]).toEqual([name, true]);
      if (optimizer.name === 'adam') expect([name, relativeErrorOf(slots.get(IO.v(name))!, wantSlots.get(`exp_avg_sq.${name}`)!.data) < 1e-4]).toEqual([name, true]);
    }
    console.log(`ort optimizer step ${_label}: worst weight relative error ${worst.toExponential(2)}`);
    reference.dispose();
    model.dispose();
  });
  // The data-parallel update in JavaScript (flatStep) and as WebAssembly SIMD over shared memory (SimdStep).
  const UPDATES = DECAYED.flatMap((row) => (['flatStep', 'SimdStep'] as const).map((impl) => [impl, ...row] as const));
  test.each(UPDATES)('%s (the data-parallel update) on two slices of the gradients graph\'s output gives the "train" graph\'s weights and slots (%s)', async (impl, _label, optimizer, clip, weightDecay) => {
    const config: ModelConfig = { arch: 'lstm', vocabSize: 11, embeddingDim: 6, hiddenSize: 8, numLayers: 2, dropout: 0.3 };
    const weights = randomWeights(config, 4);
    const rng = new Rng(8);
    const batch = randomBatch(rng, config.vocabSize);
    const state = randomState(rng, config);
    const masks = masksFor(config, 12);
    const train = await ort.InferenceSession.create(buildTrainingGraph({ config, seqLen: SEQ, kind: 'train', optimizer, clip, dropout: true, weightDecay }));
    const gradients = await ort.InferenceSession.create(buildTrainingGraph({ config, seqLen: SEQ, kind: 'gradients', dropout: true }));
    const slotNames = optimizer.name === 'adam' ? [IO.m, IO.v] : [IO.m];
    // Slots part-way through training (random), and Adam's step 3.
    const slotValues = new Map<string, Float32Array>();
    for (const [name, t] of weights) for (const slot of slotNames) slotValues.set(slot(name), Float32Array.from(t.data, () => (slot === IO.v ? 0.01 * rng.next() : rng.next() - 0.5)));
    const lr = 0.01;
    const [c1, c2Sqrt] = [1 - 0.9 ** 3, Math.sqrt(1 - 0.999 ** 3)];
    const f = feeds(config, weights, batch, state, masks);
    for (const [name, t] of weights) for (const slot of slotNames) f[slot(name)] = new ort.Tensor('float32', slotValues.get(slot(name))!, t.shape);
    f[IO.lr] = new ort.Tensor('float32', Float32Array.of(lr), []);
    if (optimizer.name === 'adam') {
      f[IO.biasCorrection1] = new ort.Tensor('float32', Float32Array.of(c1), []);
      f[IO.biasCorrection2Sqrt] = new ort.Tensor('float32', Float32Array.of(c2Sqrt), []);
    }
    const want = await train.run(f);
    const grads = await gradients.run(feeds(config, weights, batch, state, masks));

    // All parameters end to end in state_dict order, updated in two slices cut at an arbitrary point.
    const flat = (pick: (name: string) => Float32Array) => {
      const parts = [...weights.keys()].map(pick);
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
      return out;
    };
    const param = flat((name) => weights.get(name)!.data);
    const before = Float32Array.from(param);
    const grad = flat((name) => grads[IO.grad(name)].data as Float32Array);
    const slots = slotNames.map((slot) => flat((name) => slotValues.get(slot(name))!));
    const norm = Math.sqrt(grad.reduce((sum, g) => sum + g * g, 0));
    expect(Math.abs(norm - (want[IO.gradNorm].data as Float32Array)[0]) / norm).toBeLessThan(1e-6);
    const scalars = { lr, biasCorrection1: c1, biasCorrection2Sqrt: c2Sqrt, gradScale: clipGradScale(norm, clip) };
    // Two slices cut at an arbitrary point, each cut again at the parameters' boundaries for the decay (weights, not biases).
    const cut = 301;
    const update = impl === 'flatStep' ? flatStep : simdUpdate(param, grad);
    for (const [first, last] of [[0, cut], [cut, param.length]]) {
      for (const { from, to, weightDecay: λ } of decayPieces(paramOffsets(config), first, last, weightDecay)) {
        update(optimizer, { ...scalars, weightDecay: λ }, param, grad.subarray(from, to), slots, from, to);
      }
    }

    expect(relativeErrorOf(param, flat((name) => want[IO.updated(name)].data as Float32Array))).toBeLessThan(1e-6);
    slotNames.forEach((slot, i) => expect(relativeErrorOf(slots[i], flat((name) => want[IO.updated(slot(name))].data as Float32Array))).toBeLessThan(1e-6));
    // The step moved the weights, and clipping (where asked for) was in effect.
    expect(relativeErrorOf(param, before)).toBeGreaterThan(1e-4);
    if (clip !== null) expect(norm).toBeGreaterThan(clip);
  });
});

/**
 * flatStep's signature over SimdStep: the arrays are copied into a shared WebAssembly memory at
 * float offsets that are not multiples of 4 (unaligned SIMD loads), updated there, and copied back.
 */
function simdUpdate(param: Float32Array, grad: Float32Array): typeof flatStep {
  const n = param.length;
  const at = (k: number) => 1 + k * (n + 3);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const simd = new SimdStep(memory);
  simd.floats.set(grad, at(1));
  return (optimizer, s, params, g, slotArrays, from, to) => {
    simd.floats.set(params, at(0));
    slotArrays.forEach((slot, k) => simd.floats.set(slot, at(2 + k)));
    simd.step(optimizer, s, at(0) + from, at(1) + from, slotArrays.map((_, k) => at(2 + k) + from), to - from);
    params.set(simd.floats.subarray(at(0), at(0) + n));
    slotArrays.forEach((slot, k) => slot.set(simd.floats.subarray(at(2 + k), at(2 + k) + n)));
    expect(g.length).toBe(to - from);
  };
}
