import {
  logitsProcessorsFor,
  MinPProcessor,
  PresenceFrequencyPenaltyProcessor,
  RepetitionPenaltyProcessor,
  TemperatureProcessor,
  TopKProcessor,
  TopPProcessor,
  type LogitsContext,
} from './logits-processors.js';
import { Rng } from './rng.js';
import { Sampler, argmax, sampleSoftmax } from './sampler.js';

const LOGITS = Float32Array.from([0.5, 2.0, -1.0, 1.2, 2.0, 0.0, -3.0, 0.9]);

function softmax(x: ArrayLike<number>, t = 1): number[] {
  const max = Math.max(...Array.from(x));
  const z = Array.from(x, (v) => Math.exp((v - max) / t));
  const total = z.reduce((a, b) => a + b, 0);
  return z.map((v) => v / total);
}

function chiSquare(counts: number[], probs: number[], n: number): number {
  return counts.reduce((s, o, i) => (probs[i] > 0 ? s + (o - n * probs[i]) ** 2 / (n * probs[i]) : s), 0);
}

describe('penalties and min-p', () => {
  const context = (generated: number[], row = 0): LogitsContext => ({ step: generated.length, row, generated });

  test("presence and frequency penalties subtract OpenAI's presence · [count > 0] + frequency · count", () => {
    const x = LOGITS.slice();
    new PresenceFrequencyPenaltyProcessor(0.5, 0.25).process(x, context([1, 4, 1, 1, 6]));
    // counts: 1 → 3, 4 → 1, 6 → 1
    const expected = Array.from(LOGITS);
    expected[1] -= 0.5 + 0.75;
    expected[4] -= 0.5 + 0.25;
    expected[6] -= 0.5 + 0.25;
    expect(Array.from(x)).toEqual(expected.map((v) => Math.fround(v)));
  });

  test('the repetition penalty divides a positive logit and multiplies a negative one, once per character however often it came', () => {
    const x = LOGITS.slice();
    new RepetitionPenaltyProcessor(2).process(x, context([1, 1, 2, 5]));
    const expected = Array.from(LOGITS);
    expected[1] = 2.0 / 2; // positive: divided
    expected[2] = -1.0 * 2; // negative: multiplied
    expect(Array.from(x)).toEqual(expected.map((v) => Math.fround(v))); // 5 is 0.0: unchanged either way
  });

  test('counts follow the ids as they grow step by step, per row, and start again for a shorter list', () => {
    const processor = new PresenceFrequencyPenaltyProcessor(0, 1);
    const ids = [3, 3, 0, 7, 3];
    for (let n = 0; n <= ids.length; n++) {
      for (const row of [0, 1]) {
        const x = new Float32Array(8);
        processor.process(x, context(ids.slice(0, row === 0 ? n : Math.max(0, n - 1)), row));
        const counted = ids.slice(0, row === 0 ? n : Math.max(0, n - 1));
        expect(Array.from(x)).toEqual(Array.from({ length: 8 }, (_, id) => -counted.filter((i) => i === id).length || 0));
      }
    }
    const x = new Float32Array(8);
    processor.process(x, context([5]));
    expect(Array.from(x)).toEqual([0, 0, 0, 0, 0, -1, 0, 0]);
  });

  test('min-p keeps the characters at least minP times as likely as the most likely one', () => {
    const p = softmax(LOGITS);
    const best = Math.max(...p);
    for (const minP of [0.05, 0.3, 0.6, 1]) {
      const x = LOGITS.slice();
      new MinPProcessor(minP).process(x);
      const kept = Array.from(x, (v, i) => (v === -Infinity ? -1 : i)).filter((i) => i >= 0);
      // minP = 1 keeps exactly the characters tied for first (1 and 4).
      expect(kept).toEqual(p.map((q, i) => (q >= minP * best ? i : -1)).filter((i) => i >= 0));
    }
  });

  test('logitsProcessorsFor: penalties before temperature, min-p on the tempered distribution, nothing for settings that change nothing', () => {
    expect(logitsProcessorsFor({ temperature: 1, topK: 0, topP: 1, minP: 0, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1 }, 8)).toEqual([]);
    expect(logitsProcessorsFor({ temperature: 0, topK: 3, topP: 0.5, minP: 0.5, frequencyPenalty: 1 }, 8).map((p) => p.constructor.name)).toEqual([
      'PresenceFrequencyPenaltyProcessor',
    ]);
    const all = logitsProcessorsFor({ temperature: 0.5, topK: 7, topP: 0.99, minP: 0.2, presencePenalty: 1, repetitionPenalty: 1.5, suppressTokens: [0] }, 8);
    expect(all.map((p) => p.constructor.name)).toEqual([
      'SuppressTokensProcessor',
      'RepetitionPenaltyProcessor',
      'PresenceFrequencyPenaltyProcessor',
      'TemperatureProcessor',
      'TopKProcessor',
      'TopPProcessor',
      'MinPProcessor',
    ]);
    // min-p at temperature 0.5: p ∝ exp(2x), so a character survives if 2(x - max) ≥ ln 0.2.
    const x = LOGITS.slice();
    for (const p of logitsProcessorsFor({ temperature: 0.5, topK: 0, topP: 1, minP: 0.2 }, 8)) p.process(x, context([]));
    const max = Math.max(...LOGITS);
    expect(Array.from(x, (v, i) => (v === -Infinity ? -1 : i)).filter((i) => i >= 0)).toEqual(
      Array.from(LOGITS, (v, i) => (2 * (v - max) >= Math.log(0.2) ? i : -1)).filter((i) => i >= 0),
    );
  });

  test('the Sampler passes the generated ids to its processors: greedy with a penalty picks the next best', () => {
    const sampler = new Sampler(8, { temperature: 0, topK: 0, topP: 1, presencePenalty: 10 });
    const rng = Rng.fromSeed(1);
    expect(sampler.sample(LOGITS, 0, rng, 0, 0)).toBe(1); // 2.0 at 1 and 4: the lower index
    expect(sampler.sample(LOGITS, 0, rng, 1, 0, [1])).toBe(4);
    expect(sampler.sample(LOGITS, 0, rng, 2, 0, [1, 4])).toBe(3); // then 1.2
  });
});

describe('logits processors', () => {
  test('temperature divides the logits less their maximum (the same softmax)', () => {
    const x = LOGITS.slice();
    new TemperatureProcessor(0.5).process(x);
    expect(Array.from(x)).toEqual(Array.from(LOGITS, (v) => (v - 2) * 2));
    expect(softmax(x)).toEqual(softmax(LOGITS, 0.5).map((p) => expect.closeTo(p, 12)));
  });

  test('top-k keeps the k largest (ties with the k-th kept) and masks the rest', () => {
    const x = LOGITS.slice();
    new TopKProcessor(3).process(x);
    expect(Array.from(x, (v, i) => (v === -Infinity ? -1 : i)).filter((i) => i >= 0)).toEqual([1, 3, 4]);
    const ties = LOGITS.slice();
    new TopKProcessor(1).process(ties);
    expect(Array.from(ties, (v, i) => (v === -Infinity ? -1 : i)).filter((i) => i >= 0)).toEqual([1, 4]);
  });

  test('top-p keeps the smallest set of most likely tokens reaching p', () => {
    const p = softmax(LOGITS);
    const order = [...p.keys()].sort((a, b) => p[b] - p[a]);
    for (const topP of [0.1, 0.5, 0.8, 0.95, 0.999]) {
      const x = LOGITS.slice();
      new TopPProcessor(topP).process(x);
      let cumulative = 0;
      let n = 0;
      while (cumulative < topP) cumulative += p[order[n++]];
      const kept = Array.from(x, (v, i) => (v === -Infinity ? -1 : i)).filter((i) => i >= 0);
      expect(kept.sort()).toEqual(order.slice(0, n).sort());
    }
  });
});

describe('Sampler', () => {
  test('temperature 0 is argmax (first index on ties)', () => {
    const s = new Sampler(8, { temperature: 0, topK: 0, topP: 1, logitsProcessors: [] });
    expect(s.sample(LOGITS, 0, Rng.fromSeed(1), 0, 0)).toBe(1);
    expect(argmax([1, 3, 3, 2])).toBe(1);
    const padded = new Float32Array(16);
    padded.set(LOGITS, 8);
    expect(s.sample(padded, 8, Rng.fromSeed(1), 0, 0)).toBe(1);
  });

  test('draws follow the softmax (chi-square), at temperature 1 and 0.7', () => {
    for (const t of [1, 0.7]) {
      const s = new Sampler(8, { temperature: t, topK: 0, topP: 1, logitsProcessors: [] });
      const rng = Rng.fromSeed(123);
      const N = 40_000;
      const counts = new Array<number>(8).fill(0);
      for (let i = 0; i < N; i++) counts[s.sample(LOGITS, 0, rng, i, 0)]++;
      expect(chiSquare(counts, softmax(LOGITS, t), N)).toBeLessThan(24.3); // chi-square(7), p = 0.001
    }
  });

  test('top-k draws follow the renormalised softmax over the kept set', () => {
    const s = new Sampler(8, { temperature: 1, topK: 3, topP: 1, logitsProcessors: [] });
    const rng = Rng.fromSeed(5);
    const N = 30_000;
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < N; i++) counts[s.sample(LOGITS, 0, rng, i, 0)]++;
    const kept = [1, 3, 4];
    const p = softmax(kept.map((i) => LOGITS[i]));
    const expected = new Array<number>(8).fill(0);
    kept.forEach((k, j) => (expected[k] = p[j]));
    expect(counts.filter((_, i) => !kept.includes(i)).every((c) => c === 0)).toBe(true);
    expect(chiSquare(counts, expected, N)).toBeLessThan(13.8); // chi-square(2), p = 0.001
  });

  test('temperature is applied before top-k and top-p: the kept set is that of the tempered softmax', () => {
    // At T = 1 tokens 1 and 4 alone reach p = 0.6 (0.31 each); at T = 3 the distribution is
    // flatter and top-p keeps four tokens. Top-p on the raw logits would keep only [1, 4].
    const t = 3;
    const topP = 0.6;
    const tempered = softmax(LOGITS, t);
    const order = [...tempered.keys()].sort((a, b) => tempered[b] - tempered[a] || a - b);
    let cumulative = 0;
    let n = 0;
    while (cumulative < topP) cumulative += tempered[order[n++]];
    const kept = order.slice(0, n).sort();
    expect(kept).toEqual([1, 3, 4, 7]);
    const s = new Sampler(8, { temperature: t, topK: 0, topP, logitsProcessors: [] });
    const rng = Rng.fromSeed(9);
    const N = 30_000;
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < N; i++) counts[s.sample(LOGITS, 0, rng, i, 0)]++;
    const renormalised = softmax(kept.map((i) => LOGITS[i]), t);
    const expected = new Array<number>(8).fill(0);
    kept.forEach((k, j) => (expected[k] = renormalised[j]));
    expect(counts.filter((_, i) => !kept.includes(i))).toEqual([0, 0, 0, 0]);
    expect(chiSquare(counts, expected, N)).toBeLessThan(16.3); // chi-square(3), p = 0.001
    // top-k counts ranks, which temperature does not change; with both, the kept set is the
    // intersection, sampled at the tempered probabilities.
    const both = new Sampler(8, { temperature: t, topK: 2, topP, logitsProcessors: [] });
    const draws = new Set(Array.from({ length: 2000 }, (_, i) => both.sample(LOGITS, 0, rng, i, 0)));
    expect([...draws].sort()).toEqual([1, 4]);
  });

  test('does not modify the caller logits; same seed gives the same draws', () => {
    const s = new Sampler(8, { temperature: 0.9, topK: 4, topP: 0.9, logitsProcessors: [] });
    const copy = LOGITS.slice();
    const a = Array.from({ length: 50 }, (_, i) => s.sample(LOGITS, 0, Rng.fromSeed(i), 0, 0));
    const b = Array.from({ length: 50 }, (_, i) => s.sample(LOGITS, 0, Rng.fromSeed(i), 0, 0));
    expect(a).toEqual(b);
    expect(LOGITS).toEqual(copy);
  });

  test('custom processors run first and see the row and step', () => {
    const seen: [number, number][] = [];
    const banOne = {
      process(x: Float32Array, ctx: { step: number; row: number }) {
        seen.push([ctx.step, ctx.row]);
        x[1] = -Infinity;
      },
    };
    const s = new Sampler(8, { temperature: 0, topK: 0, topP: 1, logitsProcessors: [banOne] });
    expect(s.sample(LOGITS, 0, Rng.fromSeed(1), 4, 2)).toBe(4);
    expect(seen).toEqual([[4, 2]]);
  });

  test('sampleSoftmax never returns a masked token, even when all but one are masked', () => {
    const x = new Float32Array([-Infinity, -Infinity, 3, -Infinity]);
    const rng = Rng.fromSeed(1);
    for (let i = 0; i < 100; i++) expect(sampleSoftmax(x, rng)).toBe(2);
  });

  // The buffers the generator samples from hold every batch row back to back: each call must read
  // its own row [offset, offset + length) and nothing past it.
  test('argmax reads only its row of a batch buffer', () => {
    const rows = Float32Array.from([1, 2, 3, 9, 0, 0]);
    expect(argmax(rows, 0, 3)).toBe(2);
    expect(argmax(rows, 3, 3)).toBe(0);
    expect(argmax(rows, 3)).toBe(0); // the default length runs to the end of the buffer
  });

  test('sampleSoftmax reads only its row: a large logit in the next row changes nothing', () => {
    const rng = Rng.fromSeed(7);
    const n = 4000;
    const counts = [0, 0];
    for (let i = 0; i < n; i++) counts[sampleSoftmax(Float32Array.from([0, 1, 1000]), rng, 0, 2)]++;
    expect(chiSquare(counts, softmax([0, 1]), n)).toBeLessThan(10.83); // χ², 1 dof, p = 0.001
    const tail = [0, 0];
    for (let i = 0; i < n; i++) tail[sampleSoftmax(Float32Array.from([9, 9, 0, 1]), rng, 2)]++; // default length: to the end
    expect(chiSquare(tail, softmax([0, 1]), n)).toBeLessThan(10.83);
  });

  test('sampleSoftmax is exact for logits far from 0 (shifted by the max, no overflow)', () => {
    const rng = Rng.fromSeed(8);
    const n = 4000;
    const counts = [0, 0];
    for (let i = 0; i < n; i++) counts[sampleSoftmax(Float32Array.from([400, 401]), rng)]++;
    expect(chiSquare(counts, softmax([0, 1]), n)).toBeLessThan(10.83);
  });

  test('sampleSoftmax with every token masked answers as argmax does (the first)', () => {
    expect(sampleSoftmax(Float32Array.from([-Infinity, -Infinity, -Infinity]), Rng.fromSeed(1))).toBe(0);
  });

  test('sampleSoftmax inverts the cumulative sum: u · total on a boundary belongs to the next token', () => {
    // Token i is drawn when cum(i−1) ≤ u · total < cum(i): two equal weights split [0, 1) at 0.5.
    const at = (u: number) => ({ nextFloat: () => u }) as unknown as Rng;
    expect(sampleSoftmax(Float32Array.from([0, 0]), at(0))).toBe(0);
    expect(sampleSoftmax(Float32Array.from([0, 0]), at(0.4999))).toBe(0);
    expect(sampleSoftmax(Float32Array.from([0, 0]), at(0.5))).toBe(1);
    expect(sampleSoftmax(Float32Array.from([0, -Infinity, 0]), at(0.5))).toBe(2);
  });

  test('where u · total reaches the final sum, the draw is the last token of nonzero weight, never a masked one after it', () => {
    // An Rng's u is below 1, so u · total < total; u = 1 stands for float rounding that reaches the sum.
    const top = { nextFloat: () => 1 } as unknown as Rng;
    expect(sampleSoftmax(Float32Array.from([0, 1, -Infinity, -Infinity]), top)).toBe(1);
    expect(sampleSoftmax(Float32Array.from([0, 1, -Infinity, 5, 9]), top, 0, 3)).toBe(1);
    const s = new Sampler(4, { temperature: 1, topK: 0, topP: 1, logitsProcessors: [], suppressTokens: [3] });
    expect(s.sample(Float32Array.from([2, 0, 1, 50]), 0, top, 0, 0)).toBe(2);
  });

  test('top-p keeps the smallest set whose probability reaches p, counting a set that reaches it exactly', () => {
    const x = Float32Array.from([0, 0, 0, 0]); // four tokens of exactly 1/4
    new TopPProcessor(0.5).process(x);
    expect(Array.from(x)).toEqual([0, 0, -Infinity, -Infinity]);
  });
});
