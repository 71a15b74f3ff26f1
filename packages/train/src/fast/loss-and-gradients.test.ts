import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charrnn/data';
import { CharModel, disposeState } from '../model/char-model.js';
import { ModelInputError } from '../model/errors.js';
import { ARCHS, type Arch, type ModelConfig } from '../model/config.js';
import { useBackend } from '../model/test-helpers/backends.js';
import { randomWeights, tiedWeights } from '../model/weights.js';
import { NO_REGULARIZATION, regularizationOf } from '../engine/regularization.js';
import { lossAndGradients, type TokenBatch } from '../trainer/gradients.js';
import { fastLossAndGradients } from './loss-and-gradients.js';
import { relativeError } from './test-helpers/relative-error.js';
import type { RecurrentState } from '../model/recurrent.js';
import { REFERENCE_STATES } from '../model/test-helpers/reference.js';

const SEQ = 5;
const BATCH = 4;

function randomBatch(rng: Rng, vocab: number, seqLen = SEQ, batchSize = BATCH): TokenBatch {
  const ids = () => Int32Array.from({ length: seqLen * batchSize }, () => Math.floor(rng.next() * vocab));
  return { input: ids(), target: ids(), seqLen, batchSize };
}

function randomState(rng: Rng, config: ModelConfig, batch = BATCH) {
  const block = () => tf.tensor3d(Float32Array.from({ length: config.numLayers * batch * config.hiddenSize }, () => rng.next() - 0.5), [config.numLayers, batch, config.hiddenSize]);
  return Object.fromEntries(REFERENCE_STATES[config.arch].map((s) => [s, block()])) as unknown as RecurrentState;
}

// [arch, layers, dropout, seqLen, batch]: besides the usual window, a window of one step (the
// windows' seqLen = 1 branches: no concat, h₀ as the only previous state) and the shortest one
// with a step before it, on a batch of one.
const CASES: [Arch, number, number, number, number][] = ARCHS.flatMap((arch) => [
  [arch, 1, 0, SEQ, BATCH],
  [arch, 2, 0, SEQ, BATCH],
  [arch, 2, 0.3, SEQ, BATCH],
  [arch, 2, 0.3, 1, 3],
  [arch, 2, 0.3, 2, 1],
]);

describe.each(['cpu', 'wasm'] as const)('fastLossAndGradients on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test.each(CASES)('%s, %i layer(s), dropout %f, seqLen %i, batch %i: loss, final state and every gradient match the tape within 1e-5', (arch, numLayers, dropout, seqLen, batchSize) => {
    const config: ModelConfig = { arch, vocabSize: 11, embeddingDim: 6, hiddenSize: 8, numLayers, dropout };
    const model = CharModel.fromWeights(config, randomWeights(config, 21 + numLayers));
    const rng = new Rng(5);
    const batch = randomBatch(rng, config.vocabSize, seqLen, batchSize);
    const state = randomState(rng, config, batchSize);
    const before = tf.memory().numTensors;

    // Same seed for both: with dropout, both must draw the same masks in the same order.
    const reference = lossAndGradients(model, batch, state, { training: true, rng: new Rng(9) });
    const fast = fastLossAndGradients(model, batch, state, { training: true, rng: new Rng(9) });

    expect(Math.abs(fast.loss - reference.loss) / reference.loss).toBeLessThan(1e-6);
    expect(Object.keys(fast.state)).toEqual(REFERENCE_STATES[arch]);
    for (const s of REFERENCE_STATES[arch]) expect(relativeError(fast.state[s]!, reference.state[s]!)).toBeLessThan(1e-6);
    expect([...fast.grads.keys()]).toEqual([...model.parameters.keys()]);
    let worst = 0;
    for (const [name, g] of reference.grads) {
      const err = relativeError(fast.grads.get(name)!, g);
      expect([name, err < 1e-5]).toEqual([name, true]);
      worst = Math.max(worst, err);
    }
    // A gradient that is all zeros would pass a relative check against another all-zero one.
    expect(Math.max(...[...fast.grads.values()].map((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0])))).toBeGreaterThan(1e-3);
    console.log(`${backend} ${arch} ×${numLayers} dropout ${dropout} seq ${seqLen} batch ${batchSize}: loss ${fast.loss.toFixed(6)}, worst gradient relative error ${worst.toExponential(2)}`);

    for (const r of [reference, fast]) {
      tf.dispose([...r.grads.values()]);
      disposeState(r.state);
    }
    expect(tf.memory().numTensors).toBe(before);
    disposeState(state);
    model.dispose();
  });

  test('a wrong gradient is caught: perturbing one weight between the two runs shows up', () => {
    const config: ModelConfig = { arch: 'gru', vocabSize: 11, embeddingDim: 6, hiddenSize: 8, numLayers: 1, dropout: 0 };
    const weights = randomWeights(config, 3);
    const model = CharModel.fromWeights(config, weights);
    const batch = randomBatch(new Rng(1), config.vocabSize);
    const reference = lossAndGradients(model, batch, model.zeroState(BATCH), { training: true });
    weights.get('rnn.weight_hh_l0')!.data[0] += 0.05;
    model.setWeights(weights);
    const fast = fastLossAndGradients(model, batch, model.zeroState(BATCH), { training: true });
    expect(relativeError(fast.grads.get('rnn.weight_hh_l0')!, reference.grads.get('rnn.weight_hh_l0')!)).toBeGreaterThan(1e-5);
    for (const r of [reference, fast]) {
      tf.dispose([...r.grads.values()]);
      disposeState(r.state);
    }
    model.dispose();
  });

  test('bad input is a ModelInputError naming the expected shape', () => {
    const config: ModelConfig = { arch: 'gru', vocabSize: 11, embeddingDim: 6, hiddenSize: 8, numLayers: 2, dropout: 0.3 };
    const model = CharModel.fromWeights(config, randomWeights(config, 3));
    const batch = randomBatch(new Rng(1), config.vocabSize);
    const state = model.zeroState(BATCH);
    expect(() => fastLossAndGradients(model, batch, state, { training: true })).toThrow(ModelInputError);
    expect(() => fastLossAndGradients(model, batch, state, { training: true })).toThrow(/dropout 0.3 needs opts.rng/);
    const short = { ...batch, input: batch.input.slice(1) };
    expect(() => fastLossAndGradients(model, short, state, { training: false })).toThrow(ModelInputError);
    expect(() => fastLossAndGradients(model, short, state, { training: false })).toThrow(`window tokens have ${SEQ * BATCH - 1} inputs and ${SEQ * BATCH} targets, expected seqLen·batchSize = ${SEQ * BATCH}`);
    const wrongState = model.zeroState(BATCH + 1);
    expect(() => fastLossAndGradients(model, batch, wrongState, { training: false })).toThrow(`recurrent state h has shape [2,${BATCH + 1},8], expected [2,${BATCH},8]`);
    disposeState(state);
    disposeState(wrongState);
    model.dispose();
  });
});

// Dropout only acts between layers and only with p > 0. Drawing masks of p = 0 would change no
// value but would advance the rng, so a resumed run would draw different masks from then on.
describe('fastLossAndGradients draws dropout masks only where there is dropout', () => {
  beforeAll(() => useBackend('cpu'));

  test.each([
    [2, 0],
    [1, 0.3],
  ])('%i layer(s), dropout %f: no rng needed, a given one is not advanced, same as evaluation', (numLayers, dropout) => {
    const config: ModelConfig = { arch: 'gru', vocabSize: 11, embeddingDim: 6, hiddenSize: 8, numLayers, dropout };
    const model = CharModel.fromWeights(config, randomWeights(config, 2));
    const batch = randomBatch(new Rng(3), config.vocabSize);
    const state = model.zeroState(BATCH);
    const rng = new Rng(9);
    const runs = [
      fastLossAndGradients(model, batch, state, { training: true }),
      fastLossAndGradients(model, batch, state, { training: true, rng }),
      fastLossAndGradients(model, batch, state, { training: false }),
    ];
    expect(rng.next()).toBe(new Rng(9).next());
    expect(runs.map((r) => r.loss)).toEqual([runs[2].loss, runs[2].loss, runs[2].loss]);
    for (const r of runs) {
      tf.dispose([...r.grads.values()]);
      disposeState(r.state);
    }
    disposeState(state);
    model.dispose();
  });
});

// The fast path computes no tied decoder and no regularisation but the optimizer's weight decay:
// it refuses the rest by name rather than train a different model than the tape would.
describe('fastLossAndGradients refuses what it does not implement', () => {
  beforeAll(() => useBackend('cpu'));
  const config: ModelConfig = { arch: 'gru', vocabSize: 11, embeddingDim: 8, hiddenSize: 8, numLayers: 2, dropout: 0 };
  const batch = randomBatch(new Rng(4), config.vocabSize);

  test('a tied model, and embed/output dropout and weight drop, named in one message', () => {
    const tied = CharModel.fromWeights(config, tiedWeights(randomWeights(config, 2)), { tie: true });
    const state = tied.zeroState(BATCH);
    const plain = thrown(() => fastLossAndGradients(tied, batch, state, { training: false }));
    expect(plain).toBeInstanceOf(ModelInputError);
    expect(plain.message).toBe("the fast path does not implement tie; use lossAndGradients (tfjs' tape)");
    const all = regularizationOf({ tie: true, embedDropout: 0.1, outputDropout: 0.2, weightDrop: 0.3, weightDecay: 0.1 }, config);
    expect(thrown(() => fastLossAndGradients(tied, batch, state, { training: true, rng: new Rng(1), regularization: all })).message).toBe(
      "the fast path does not implement tie, embedDropout, outputDropout, weightDrop; use lossAndGradients (tfjs' tape)",
    );
    disposeState(state);
    tied.dispose();
  });

  test('weight decay alone is accepted (the optimizer applies it): loss and gradients as without it', () => {
    const model = CharModel.fromWeights(config, randomWeights(config, 2));
    const state = model.zeroState(BATCH);
    const runs = [NO_REGULARIZATION, regularizationOf({ weightDecay: 0.1 }, config)].map((regularization) => fastLossAndGradients(model, batch, state, { training: true, regularization }));
    expect(runs[1].loss).toBe(runs[0].loss);
    for (const [name, g] of runs[0].grads) expect([name, Array.from(runs[1].grads.get(name)!.dataSync())]).toEqual([name, Array.from(g.dataSync())]);
    for (const r of runs) {
      tf.dispose([...r.grads.values()]);
      disposeState(r.state);
    }
    disposeState(state);
    model.dispose();
  });
});

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}
