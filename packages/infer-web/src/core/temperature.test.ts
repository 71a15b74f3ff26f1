// Tiny temperatures: the limit T → 0 of softmax(logits / T) is the argmax, and that is what every
// runtime must sample (the library, the element and the server all go through the Sampler).
import { CharGenerator } from './generator.js';
import { Rng } from './rng.js';
import { Sampler, argmax } from './sampler.js';
import { FakeSession, fakeInfo, referenceGreedy } from '../test-helpers/fake-session.js';
import { Tokenizer } from './tokenizer.js';

/** `rows` rows of `vocab` distinct logits around the model's usual scale (±15). */
function randomRows(rows: number, vocab: number, seed: number): Float32Array[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: rows }, () => Float32Array.from({ length: vocab }, () => (rng.nextFloat() - 0.5) * 30));
}

const TINY = [1e-20, 1e-39, 1e-45, 1e-300, 5e-324];

describe('tiny temperatures', () => {
  test.each(TINY)('temperature %p samples the argmax of every row, alone and with top-k and top-p', (temperature) => {
    const rows = randomRows(200, 65, 7);
    const plain = new Sampler(65, { temperature, topK: 0, topP: 1, logitsProcessors: [] });
    const filtered = new Sampler(65, { temperature, topK: 5, topP: 0.9, logitsProcessors: [] });
    const rng = Rng.fromSeed(3);
    rows.forEach((row, i) => {
      const best = argmax(row);
      expect([plain.sample(row, 0, rng, i, 0), filtered.sample(row, 0, rng, i, 0)]).toEqual([best, best]);
    });
  });

  test('a masked maximum stays masked: the argmax of the tokens left', () => {
    const row = Float32Array.from([9, 1, 7, 3]);
    const sampler = new Sampler(4, { temperature: 1e-39, topK: 0, topP: 1, logitsProcessors: [], suppressTokens: [0] });
    expect(sampler.sample(row, 0, Rng.fromSeed(1), 0, 0)).toBe(2);
  });

  test('exact ties share the draws (the limit of the softmax), never a token below them', () => {
    const row = Float32Array.from([1, 4, 2, 4, -3]);
    const sampler = new Sampler(5, { temperature: 1e-39, topK: 0, topP: 1, logitsProcessors: [] });
    const rng = Rng.fromSeed(11);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) counts[sampler.sample(row, 0, rng, i, 0)]++;
    expect(counts[0] + counts[2] + counts[4]).toBe(0);
    expect(Math.min(counts[1], counts[3])).toBeGreaterThan(850);
  });

  test('generate() at temperature 1e-39 writes the greedy text', async () => {
    const info = fakeInfo();
    const tokenizer = new Tokenizer(info.vocab, info.lower);
    const greedy = tokenizer.decode(referenceGreedy(info, tokenizer.encode('abc '), 60));
    // A generator keeps its state between calls: a fresh one for each temperature.
    const text = (temperature: number) => new CharGenerator(new FakeSession(info), info, { seed: 1 }).generate('abc ', { temperature, maxNewTokens: 60 });
    expect(await text(1e-39)).toBe(greedy);
    expect(await text(0)).toBe(greedy);
    expect(await text(1)).not.toBe(greedy); // the fake model's text at T = 1 is not the greedy one, so the test can tell
  });
});
