import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charrnn/data';
import { CharModel, disposeState } from '../model/char-model.js';
import type { ModelConfig } from '../model/config.js';
import { ModelInputError } from '../model/errors.js';
import type { RecurrentState } from '../model/recurrent.js';
import { useBackend } from '../model/test-helpers/backends.js';
import { randomWeights } from '../model/weights.js';
import { windowGradients, type WindowTokens } from './window-gradients.js';

// What windowGradients does beyond the arithmetic that fastLossAndGradients' parity tests check
// against the tape: which layer each dropout mask is asked for, and its refusals of bad input.
const SEQ = 3;
const BATCH = 2;

function tokens(vocab: number, seqLen = SEQ, batchSize = BATCH): WindowTokens {
  const rng = new Rng(4);
  const ids = () => Int32Array.from({ length: seqLen * batchSize }, () => Math.floor(rng.next() * vocab));
  return { input: ids(), target: ids(), seqLen, batchSize };
}

function release(out: { lossSum: tf.Scalar; grads: Map<string, tf.Tensor>; state: RecurrentState }) {
  out.lossSum.dispose();
  tf.dispose([...out.grads.values()]);
  disposeState(out.state);
}

beforeAll(() => useBackend('cpu'));

test('the dropout mask is asked for the output of layers 0 … L−2, each [seq·batch, hidden], and applied there', () => {
  const config: ModelConfig = { arch: 'gru', vocabSize: 7, embeddingDim: 4, hiddenSize: 5, numLayers: 3, dropout: 0.5 };
  const model = CharModel.fromWeights(config, randomWeights(config, 8));
  const state = model.zeroState(BATCH);
  const asked: [number, number[]][] = [];
  const none = windowGradients(config, model.parameters, tokens(7), state, 1, (layer, shape) => {
    asked.push([layer, [...shape]]);
    return null;
  });
  expect(asked).toEqual([
    [0, [SEQ * BATCH, 5],],
    [1, [SEQ * BATCH, 5],],
  ]);
  // A mask of zeros on layer 1's output cuts every path from layers 0 and 1 to the loss: their
  // gradients are exactly 0 and layer 2's input weights get none either; a mask of ones is no mask.
  const ones = windowGradients(config, model.parameters, tokens(7), state, 1, (_layer, shape) => tf.ones(shape));
  const cut = windowGradients(config, model.parameters, tokens(7), state, 1, (layer, shape) => (layer === 1 ? tf.zeros(shape) : null));
  expect(ones.lossSum.dataSync()[0]).toBeCloseTo(none.lossSum.dataSync()[0], 5);
  const maxAbs = (g: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]);
  for (const name of ['encoder.weight', 'rnn.weight_ih_l0', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.weight_ih_l2']) {
    expect([name, maxAbs(cut.grads.get(name)!)]).toEqual([name, 0]);
    expect([name, maxAbs(none.grads.get(name)!) > 1e-4]).toEqual([name, true]);
  }
  expect(maxAbs(cut.grads.get('rnn.weight_hh_l2')!)).toBeGreaterThan(1e-4);
  [none, ones, cut].forEach(release);
  disposeState(state);
  model.dispose();
});

describe('bad input is a ModelInputError naming what was expected', () => {
  const gru: ModelConfig = { arch: 'gru', vocabSize: 7, embeddingDim: 4, hiddenSize: 5, numLayers: 2, dropout: 0 };
  const lstm: ModelConfig = { ...gru, arch: 'lstm' };

  function refusal(config: ModelConfig, window: WindowTokens, state: RecurrentState): string {
    const model = CharModel.fromWeights(config, randomWeights(config, 1));
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      release(windowGradients(config, model.parameters, window, state, 1));
    } catch (e) {
      error = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    disposeState(state);
    expect(error).toBeInstanceOf(ModelInputError);
    return (error as Error).message;
  }

  test('fewer targets than seqLen·batchSize', () => {
    const window = tokens(7);
    expect(refusal(gru, { ...window, target: window.target.slice(1) }, { h: tf.zeros([2, BATCH, 5]) })).toBe(
      `window tokens have ${SEQ * BATCH} inputs and ${SEQ * BATCH - 1} targets, expected seqLen·batchSize = ${SEQ * BATCH}`,
    );
  });

  test('a state of the wrong hidden size or rank', () => {
    expect(refusal(gru, tokens(7), { h: tf.zeros([2, BATCH, 6]) })).toBe(`recurrent state h has shape [2,${BATCH},6], expected [2,${BATCH},5]`);
    expect(refusal(gru, tokens(7), { h: tf.zeros([2, BATCH]) as unknown as tf.Tensor3D })).toBe(`recurrent state h has shape [2,${BATCH}], expected [2,${BATCH},5]`);
  });

  test("an lstm's state without its cell state, or with one of the wrong shape", () => {
    expect(refusal(lstm, tokens(7), { h: tf.zeros([2, BATCH, 5]) })).toBe(`lstm state needs c [2,${BATCH},5] besides h`);
    expect(refusal(lstm, tokens(7), { h: tf.zeros([2, BATCH, 5]), c: tf.zeros([1, BATCH, 5]) })).toBe(
      `recurrent state c has shape [1,${BATCH},5], expected [2,${BATCH},5]`,
    );
  });

  test('a gru ignores a cell state it has no use for', () => {
    const model = CharModel.fromWeights(gru, randomWeights(gru, 1));
    const state = { h: tf.zeros([2, BATCH, 5]) as tf.Tensor3D };
    const withC = { ...state, c: tf.zeros([1, 1, 1]) as tf.Tensor3D };
    const a = windowGradients(gru, model.parameters, tokens(7), state, 1);
    const b = windowGradients(gru, model.parameters, tokens(7), withC, 1);
    expect(b.lossSum.dataSync()[0]).toBe(a.lossSum.dataSync()[0]);
    expect(b.state.c).toBeUndefined();
    [a, b].forEach(release);
    disposeState(withC);
    model.dispose();
  });
});
