import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charrnn/data';
import { CharModel } from './char-model.js';
import { ARCHS, expectedShapes, type Arch, type ModelConfig } from './config.js';
import { ModelInputError } from './errors.js';
import { sequenceLoss } from './loss.js';
import type { RecurrentState } from './recurrent.js';
import { useBackend } from './test-helpers/backends.js';
import { REFERENCE_STATES, referenceForward, referenceLoss, type ReferenceState } from './test-helpers/reference.js';
import { randomWeights, tiedWeights, WeightsError } from './weights.js';
import { regularizationOf } from '../engine/regularization.js';
import { drawWindowMasks } from '../engine/window-masks.js';

const SEQ = 4;
const BATCH = 3;

function configFor(arch: Arch): ModelConfig {
  return { arch, vocabSize: 9, embeddingDim: 5, hiddenSize: 6, numLayers: 2, dropout: 0 };
}

function randomTokens(rng: Rng, vocab: number): number[][] {
  return Array.from({ length: SEQ }, () => Array.from({ length: BATCH }, () => Math.floor(rng.next() * vocab)));
}

function randomState(rng: Rng, config: ModelConfig): ReferenceState {
  const block = () => Array.from({ length: config.numLayers }, () => Array.from({ length: BATCH }, () => Array.from({ length: config.hiddenSize }, () => rng.next() - 0.5)));
  return Object.fromEntries(REFERENCE_STATES[config.arch].map((s) => [s, block()])) as unknown as ReferenceState;
}

function toTfState(s: ReferenceState) {
  return { h: tf.tensor3d(s.h), ...(s.c ? { c: tf.tensor3d(s.c) } : {}) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(['cpu', 'wasm'] as const)('CharModel on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test.each(ARCHS)('%s forward matches the float64 reference to 1e-5 (logits and final state)', (arch) => {
    const config = configFor(arch);
    const weights = randomWeights(config, 3);
    const rng = new Rng(11);
    const tokens = randomTokens(rng, config.vocabSize);
    const state0 = randomState(rng, config);
    const ref = referenceForward(config, weights, tokens, state0);

    const model = CharModel.fromWeights(config, weights);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { logits, state } = model.forward(tf.tensor2d(tokens, undefined, 'int32'), toTfState(state0));
      expect(logits.shape).toEqual([SEQ, BATCH, config.vocabSize]);
      expect(state.h.shape).toEqual([2, BATCH, 6]);
      expect(maxAbsDiff(logits.dataSync(), ref.logits.flat(2))).toBeLessThan(1e-5);
      expect(maxAbsDiff(state.h.dataSync(), ref.state.h.flat(2))).toBeLessThan(1e-5);
      expect(Object.keys(state)).toEqual(REFERENCE_STATES[arch]);
      if (ref.state.c) expect(maxAbsDiff(state.c!.dataSync(), ref.state.c.flat(2))).toBeLessThan(1e-5);
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test.each(ARCHS)('%s with every locked mask and a tied decoder: each stream matches the float64 reference run with its masks folded into the weights', (arch) => {
    // Locked masks hold one row per stream for the whole window, so stream b's run equals an
    // unmasked run of weights scaled by its rows: E·diag(m_embed), W_ih(k+1)·diag(m_k),
    // W_dec·diag(m_out); weight drop is W_hh ⊙ M for every stream.
    const config: ModelConfig = { arch, vocabSize: 9, embeddingDim: 6, hiddenSize: 6, numLayers: 2, dropout: 0.3 };
    const reg = regularizationOf({ embedDropout: 0.3, outputDropout: 0.4, weightDrop: 0.5, tie: true }, config);
    const weights = tiedWeights(randomWeights(config, 3));
    const rng = new Rng(11);
    const tokens = randomTokens(rng, config.vocabSize);
    const state0 = randomState(rng, config);
    const masks = drawWindowMasks(new Rng(9), config, reg, BATCH);
    const H = config.hiddenSize;
    const columnsScaled = (w: Float32Array, cols: number, scale: Float32Array) => ({ data: Float64Array.from(w, (v, i) => v * scale[i % cols]) });
    const row = (m: Float32Array, b: number, width: number) => m.subarray(b * width, (b + 1) * width);

    const model = CharModel.fromWeights(config, weights, { tie: true });
    tf.tidy(() => {
      const { logits, state } = model.forward(tf.tensor2d(tokens, undefined, 'int32'), toTfState(state0), { training: true, rng: new Rng(9), regularization: reg });
      const got = logits.arraySync();
      const gotH = state.h.arraySync();
      for (let b = 0; b < BATCH; b++) {
        const folded = new Map<string, { data: Float64Array | Float32Array }>(weights);
        folded.set('encoder.weight', columnsScaled(weights.get('encoder.weight')!.data, config.embeddingDim, row(masks.embed!, b, config.embeddingDim)));
        folded.set('rnn.weight_ih_l1', columnsScaled(weights.get('rnn.weight_ih_l1')!.data, H, row(masks.between[0], b, H)));
        folded.set('decoder.weight', columnsScaled(weights.get('encoder.weight')!.data, H, row(masks.output!, b, H)));
        for (let k = 0; k < 2; k++) folded.set(`rnn.weight_hh_l${k}`, { data: Float64Array.from(weights.get(`rnn.weight_hh_l${k}`)!.data, (v, i) => v * masks.weightHh[k][i]) });
        const stream = (s: number[][][]) => s.map((layer) => [layer[b]]);
        const ref = referenceForward(config, folded, tokens.map((t) => [t[b]]), { h: stream(state0.h), ...(state0.c ? { c: stream(state0.c) } : {}) });
        expect(maxAbsDiff(got.map((t) => t[b]).flat(), ref.logits.map((t) => t[0]).flat())).toBeLessThan(1e-5);
        expect(maxAbsDiff(gotH.map((l) => l[b]).flat(), ref.state.h.map((l) => l[0]).flat())).toBeLessThan(1e-5);
      }
    });
    model.dispose();
  });

  test.each(ARCHS)('%s: one BPTT step gradient matches central finite differences of the float64 reference', (arch) => {
    const config = configFor(arch);
    const weights = randomWeights(config, 5);
    const rng = new Rng(17);
    const tokens = randomTokens(rng, config.vocabSize);
    const targets = randomTokens(rng, config.vocabSize);
    const state0 = randomState(rng, config);
    const model = CharModel.fromWeights(config, weights);
    const names = [...model.parameters.keys()];
    const vars = [...model.parameters.values()];
    const { value, grads } = tf.variableGrads(
      () => sequenceLoss(model, tf.tensor2d(tokens, undefined, 'int32'), tf.tensor2d(targets, undefined, 'int32'), toTfState(state0)).loss,
      vars,
    );

    // Finite differences in float64 on the reference: step 1e-6 gives truncation error ~1e-12
    // and rounding error ~1e-10, so the comparison measures only the float32 analytic gradient.
    const f64 = new Map([...weights].map(([n, t]) => [n, { data: Float64Array.from(t.data) }]));
    const loss = () => referenceLoss(referenceForward(config, f64, tokens, state0).logits, targets);
    expect(Math.abs(value.dataSync()[0] - loss())).toBeLessThan(1e-5);
    const eps = 1e-6;
    let worst = 0;
    names.forEach((name, i) => {
      const analytic = grads[vars[i].name].dataSync();
      const data = f64.get(name)!.data;
      for (let j = 0; j < data.length; j++) {
        const saved = data[j];
        data[j] = saved + eps;
        const up = loss();
        data[j] = saved - eps;
        const down = loss();
        data[j] = saved;
        const numeric = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(analytic[j] - numeric) / Math.max(1, Math.abs(numeric)));
      }
    });
    // float32 rounding of the analytic gradient measures ~1.5e-8 here; 1e-6 leaves room, a wrong
    // gradient term (e.g. the GRU's (1 − z) path) is off by 1e-2 or more.
    expect(worst).toBeLessThan(1e-6);
    console.log(`${backend} ${arch} gradient check: max error ${worst.toExponential(2)}`);
    value.dispose();
    tf.dispose(Object.values(grads));
    model.dispose();
  });

  test('the hidden state carries across batches: the second batch output depends on the first', () => {
    const config = configFor('gru');
    const model = CharModel.fromWeights(config, randomWeights(config, 7));
    tf.tidy(() => {
      const second = tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32');
      const afterA = model.forward(tf.tensor2d([[0, 0, 0]], undefined, 'int32'), model.zeroState(3)).state;
      const afterB = model.forward(tf.tensor2d([[7, 8, 1]], undefined, 'int32'), model.zeroState(3)).state;
      const outA = model.forward(second, afterA).logits;
      const outB = model.forward(second, afterB).logits;
      expect(maxAbsDiff(outA.dataSync(), outB.dataSync())).toBeGreaterThan(1e-3);
      const again = model.forward(second, afterA).logits;
      expect(maxAbsDiff(outA.dataSync(), again.dataSync())).toBe(0);
    });
    model.dispose();
  });
});

describe('CharModel.fromWeights validation', () => {
  beforeAll(() => useBackend('cpu'));

  test('names a transposed tensor with expected and actual shapes', () => {
    const config = configFor('gru');
    const weights = randomWeights(config, 1);
    const w = weights.get('rnn.weight_hh_l1')!;
    weights.set('rnn.weight_hh_l1', { shape: [6, 18], data: w.data });
    expect(() => CharModel.fromWeights(config, weights)).toThrow(WeightsError);
    expect(() => CharModel.fromWeights(config, weights)).toThrow('rnn.weight_hh_l1 has shape [6,18], expected [18,6]');
  });

  test('names missing and unexpected tensors', () => {
    const config = configFor('lstm');
    const weights = randomWeights(config, 1);
    weights.delete('decoder.bias');
    weights.set('rnn.weight_ih_l5', { shape: [1], data: new Float32Array(1) });
    expect(() => CharModel.fromWeights(config, weights)).toThrow(/decoder\.bias is missing, expected shape \[9\].*rnn\.weight_ih_l5 is not a parameter/);
  });

  test('forward rejects float tokens and a state of the wrong shape, saying what fits', () => {
    const model = CharModel.fromWeights(configFor('lstm'), randomWeights(configFor('lstm'), 1));
    tf.tidy(() => {
      const tokens = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
      expect(() => model.forward(tf.tensor2d([[1, 2, 3]]), model.zeroState(3))).toThrow('tokens are float32 of shape [1,3], expected int32 [seq, batch]');
      expect(() => model.forward(tokens, model.zeroState(2))).toThrow(ModelInputError);
      expect(() => model.forward(tokens, model.zeroState(2))).toThrow('recurrent state h has shape [2,2,6], expected [2,3,6] for tokens [1,3] (use zeroState(3))');
      expect(() => model.forward(tokens, { h: model.zeroState(3).h })).toThrow('lstm state needs c [2,3,6] besides h');
      // Without h the message is just that (no "besides"), the whole of it.
      expect(() => model.forward(tokens, { c: model.zeroState(3).c } as unknown as RecurrentState)).toThrow(/^lstm state needs h \[2,3,6\]$/);
    });
    model.dispose();
  });

  test('expectedShapes follows PyTorch for a 2-layer GRU', () => {
    const shapes = expectedShapes({ arch: 'gru', vocabSize: 60, embeddingDim: 42, hiddenSize: 256, numLayers: 2, dropout: 0 });
    expect([...shapes]).toEqual([
      ['encoder.weight', [60, 42]],
      ['rnn.weight_ih_l0', [768, 42]],
      ['rnn.weight_hh_l0', [768, 256]],
      ['rnn.bias_ih_l0', [768]],
      ['rnn.bias_hh_l0', [768]],
      ['rnn.weight_ih_l1', [768, 256]],
      ['rnn.weight_hh_l1', [768, 256]],
      ['rnn.bias_ih_l1', [768]],
      ['rnn.bias_hh_l1', [768]],
      ['decoder.weight', [60, 256]],
      ['decoder.bias', [60]],
    ]);
  });

  test('randomWeights uses PyTorch init: embedding ~N(0,1), the rest within ±1/sqrt(hidden); deterministic in the seed', () => {
    const config: ModelConfig = { arch: 'gru', vocabSize: 50, embeddingDim: 40, hiddenSize: 64, numLayers: 1, dropout: 0 };
    const a = randomWeights(config, 42);
    const b = randomWeights(config, 42);
    const c = randomWeights(config, 43);
    expect(a.get('rnn.weight_hh_l0')!.data).toEqual(b.get('rnn.weight_hh_l0')!.data);
    expect(a.get('rnn.weight_hh_l0')!.data).not.toEqual(c.get('rnn.weight_hh_l0')!.data);
    const emb = a.get('encoder.weight')!.data;
    const mean = emb.reduce((s, v) => s + v, 0) / emb.length;
    const std = Math.sqrt(emb.reduce((s, v) => s + (v - mean) ** 2, 0) / emb.length);
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    const w = a.get('rnn.weight_hh_l0')!.data;
    const bound = 1 / 8;
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound); // uniform, not a narrower distribution
  });
});
