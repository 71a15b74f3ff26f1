import type { ModelInfo } from '@charrnn/contract';
import type { RecurrentOutputs, RecurrentSession } from './session.js';
import { LARGE_RUN_MACS, SizedRecurrentSession, macsPerChar } from './sized-session.js';
import { fakeInfo } from '../test-helpers/fake-session.js';

/** Records the [seq, batch] of each run and answers with outputs that name the session. */
class Recorder implements RecurrentSession {
  readonly runs: [number, number][] = [];
  released = false;
  constructor(readonly backend: string) {}
  async run(_tokens: BigInt64Array, seq: number, batch: number): Promise<RecurrentOutputs> {
    this.runs.push([seq, batch]);
    return { logits: Float32Array.of(this.backend === 'small' ? 1 : 2), hn: new Float32Array(0) };
  }
  async release(): Promise<void> {
    this.released = true;
  }
}

const lessonGru: ModelInfo = fakeInfo({ arch: 'gru', embeddingDim: 42, hiddenSize: 256, numLayers: 1, vocab: Array.from({ length: 55 }, (_, i) => `${i}`) });

test('multiply-adds per character count every layer and the decoder', () => {
  // GRU: 3 gates × 256 × (42 + 256), decoder 256 × 55
  expect(macsPerChar({ ...lessonGru, vocabSize: 55 })).toBe(3 * 256 * 298 + 256 * 55);
  // 2-layer LSTM, hidden 6, embed 4, vocab 10: 4·6·(4+6) + 4·6·(6+6) + 6·10
  expect(macsPerChar(fakeInfo({ arch: 'lstm' }))).toBe(240 + 288 + 60);
  expect(macsPerChar(fakeInfo({ arch: 'rnn', numLayers: 1 }))).toBe(6 * 10 + 60);
});

test('small runs go to the small session, runs of at least LARGE_RUN_MACS to the large one', async () => {
  const small = new Recorder('small');
  const large = new Recorder('large');
  const info = { ...lessonGru, vocabSize: 55 };
  const sized = new SizedRecurrentSession(small, large, info);
  const perChar = macsPerChar(info);
  const edge = Math.ceil(LARGE_RUN_MACS / perChar); // characters in the smallest large run
  const h = new Float32Array(0);
  const t = new BigInt64Array(0);
  expect((await sized.run(t, 1, 1, h)).logits[0]).toBe(1);
  expect((await sized.run(t, 1, edge - 1, h)).logits[0]).toBe(1);
  expect((await sized.run(t, 1, edge, h)).logits[0]).toBe(2);
  expect((await sized.run(t, 1000, 1, h)).logits[0]).toBe(2);
  expect((await sized.run(t, 1, 64, h)).logits[0]).toBe(2);
  expect(small.runs).toEqual([[1, 1], [1, edge - 1]]);
  expect(large.runs).toEqual([[1, edge], [1000, 1], [1, 64]]);
  expect(sized.backend).toBe('small');
  await sized.release();
  expect([small.released, large.released]).toEqual([true, true]);
});
