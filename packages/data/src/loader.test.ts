import { LanguageModelLoader, nominalBatchCount, OptionError, Rng, type Batch } from '@charrnn/data';

/** ids[i] = i, so every id says where it came from. */
const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** Φ via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): an independent reference for the seqLen law. */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('LanguageModelLoader layout', () => {
  const batchSize = 10;
  const streamLength = 100;
  const ids = iota(batchSize * streamLength + 3); // 3 tokens of remainder, dropped

  test('length and streamLength follow the lesson', () => {
    const loader = new LanguageModelLoader(ids, { batchSize, bptt: 7 });
    expect(loader.streamLength).toBe(100);
    expect(loader.length).toBe(Math.floor(100 / 7) - 1);
    expect(nominalBatchCount(482972, 64, 8)).toBe(942);
  });

  test('each stream is a contiguous slice; every kept token sits in exactly one stream position', () => {
    const loader = new LanguageModelLoader(ids, { batchSize, bptt: 7, fixedLength: true });
    const seen = new Int32Array(ids.length);
    let rowsRead = 0;
    let misplaced = 0;
    for (const batch of loader) {
      expect(batch.input).toHaveLength(batch.seqLen * batchSize);
      for (let t = 0; t < batch.seqLen; t++) {
        for (let b = 0; b < batchSize; b++) {
          const id = batch.input[t * batchSize + b];
          if (id !== b * streamLength + batch.start + t) misplaced++; // stream b is ids[b·100 … b·100+99]
          seen[id]++;
        }
      }
      rowsRead += batch.seqLen;
    }
    expect(misplaced).toBe(0);
    for (let b = 0; b < batchSize; b++) seen[b * streamLength + streamLength - 1]++; // last row: target only
    expect(rowsRead).toBe(streamLength - 1);
    expect(Array.from(seen.subarray(0, 1000)).every((n) => n === 1)).toBe(true);
    expect(Array.from(seen.subarray(1000))).toEqual([0, 0, 0]);
    expect(loader.fixedLengthBatches).toBe(Math.ceil(99 / 7));
  });

  test('targets are the inputs shifted by one step; batches continue where the previous one ended', () => {
    const loader = new LanguageModelLoader(ids, { batchSize, bptt: 7, seed: 5 });
    let next = 0;
    let previousLastRow: Int32Array | undefined;
    for (const batch of loader) {
      expect(batch.start).toBe(next);
      expect(Array.from(batch.target)).toEqual(Array.from(batch.input, (id) => id + 1));
      if (previousLastRow) {
        // the first input row of this batch is the last target row of the previous one
        expect(batch.input.subarray(0, batchSize)).toEqual(previousLastRow);
      }
      previousLastRow = batch.target.slice((batch.seqLen - 1) * batchSize);
      next += batch.seqLen;
    }
    expect(next).toBeGreaterThan(0);
    expect(next).toBeLessThanOrEqual(streamLength - 1);
  });

  test('the last batch is clipped so that its targets stay inside the streams', () => {
    const loader = new LanguageModelLoader(iota(2 * 23), { batchSize: 2, bptt: 10, fixedLength: true });
    expect([...loader].map((b) => b.seqLen)).toEqual([10, 10, 2]);
    const last = [...loader].at(-1) as Batch;
    expect(Array.from(last.target)).toEqual([21, 44, 22, 45]);
  });

  test('a stream of 1 + k·bptt rows gives exactly k fixed-length batches, none clipped', () => {
    const loader = new LanguageModelLoader(iota(2 * 21), { batchSize: 2, bptt: 10, fixedLength: true });
    expect([...loader].map((b) => b.seqLen)).toEqual([10, 10]);
    expect(loader.fixedLengthBatches).toBe(2);
  });
});

describe('LanguageModelLoader randomised sequence lengths', () => {
  test('match the lesson law: base bptt (p 0.95) or bptt/2, then max(5, ⌊N(base, 5)⌋)', () => {
    const rng = new Rng(2024);
    const n = 200_000;
    const bptt = 8;
    let sum = 0;
    let fives = 0;
    let min = Infinity;
    let integers = true;
    for (let i = 0; i < n; i++) {
      const s = LanguageModelLoader.drawSeqLen(rng, bptt);
      integers &&= Number.isInteger(s);
      sum += s;
      if (s === 5) fives++;
      min = Math.min(min, s);
    }
    // E[max(5, ⌊X⌋)] = 5 + Σ_{k≥6} P(X ≥ k); P(result = 5) = P(X < 6).
    const mix = (f: (mu: number) => number) => 0.95 * f(bptt) + 0.05 * f(bptt / 2);
    const expectedMean = mix((mu) => {
      let m = 5;
      for (let k = 6; k < mu + 60; k++) m += 1 - normalCdf((k - mu) / 5);
      return m;
    });
    const expectedFives = mix((mu) => normalCdf((6 - mu) / 5));
    expect(integers).toBe(true);
    expect(min).toBe(5);
    expect(Math.abs(sum / n - expectedMean)).toBeLessThan(0.03); // σ of the mean ≈ 0.008
    expect(Math.abs(fives / n - expectedFives)).toBeLessThan(0.005);
  });

  test('seqLen varies per batch and never exceeds the data', () => {
    const loader = new LanguageModelLoader(iota(64 * 2000), { batchSize: 64, bptt: 8, seed: 1 });
    const lengths = [...loader].map((b) => b.seqLen);
    expect(new Set(lengths).size).toBeGreaterThan(5);
    expect(lengths.length).toBeLessThanOrEqual(loader.length);
    expect(lengths.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(loader.streamLength - 1);
  });
});

describe('LanguageModelLoader epoch end', () => {
  test('a long stream stops after length batches, the lesson\'s len(trn_dl)', () => {
    // 10,000 rows at bptt 70: 141 batches (⌊10000 / 70⌋ − 1) of ~68 rows on average end before the data does.
    const loader = new LanguageModelLoader(iota(4 * 10_000), { batchSize: 4, bptt: 70, seed: 2 });
    const batches = [...loader];
    expect(batches).toHaveLength(141);
    expect(batches.at(-1)!.start + batches.at(-1)!.seqLen).toBeLessThan(9999);
  });

  test('a stream the random lengths exhaust first ends at its last target row, with no empty batch', () => {
    // bptt 2: every drawn length is at least 5, so ~2000 rows run out long before length = 999 batches.
    const loader = new LanguageModelLoader(iota(3 * 2000), { batchSize: 3, bptt: 2, seed: 4 });
    const lengths = [...loader].map((b) => b.seqLen);
    expect(loader.length).toBe(999);
    expect(lengths.length).toBeLessThan(999);
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(1);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(1999);
  });

  test('epochLength counts what iterating the epoch yields, which varies by epoch and falls short of length', () => {
    // bptt 8 with lengths max(5, ⌊N(8, 5)⌋): ~8.6 rows a batch on average, so 600 rows often run out before length = 74 batches.
    const loader = new LanguageModelLoader(iota(4 * 600), { batchSize: 4, bptt: 8, seed: 1 });
    const counted = [0, 1, 2, 3, 4, 5].map((e) => [...loader.epoch(e)].length);
    expect([0, 1, 2, 3, 4, 5].map((e) => loader.epochLength(e))).toEqual(counted);
    expect(new Set(counted).size).toBeGreaterThan(1);
    expect(Math.min(...counted)).toBeLessThan(loader.length);
    const fixed = new LanguageModelLoader(iota(4 * 600), { batchSize: 4, bptt: 8, fixedLength: true });
    expect(fixed.epochLength(3)).toBe([...fixed.epoch(3)].length);
    expect(fixed.epochLength(3)).toBe(fixed.fixedLengthBatches);
  });
});

describe('LanguageModelLoader reproducibility', () => {
  const ids = iota(16 * 500);
  const lengths = (it: Iterable<Batch>) => [...it].map((b) => b.seqLen);

  test('same seed and epoch → identical batches; other epochs and seeds differ', () => {
    const a = new LanguageModelLoader(ids, { batchSize: 16, bptt: 8, seed: 3 });
    const b = new LanguageModelLoader(ids, { batchSize: 16, bptt: 8, seed: 3 });
    expect([...a.epoch(4)]).toEqual([...b.epoch(4)]);
    expect(lengths(a)).toEqual(lengths(a.epoch(0)));
    expect(lengths(a.epoch(1))).not.toEqual(lengths(a.epoch(0)));
    expect(lengths(new LanguageModelLoader(ids, { batchSize: 16, bptt: 8, seed: 4 }))).not.toEqual(lengths(a));
  });

  test('an epoch can be iterated twice with the same result (a resumed run replays it)', () => {
    const loader = new LanguageModelLoader(ids, { batchSize: 16, bptt: 8, seed: 9 });
    const epoch = loader.epoch(2);
    expect(lengths(epoch)).toEqual(lengths(epoch));
  });

  test('fixedLength: every batch is bptt long except the clipped last one, whatever the seed', () => {
    const loader = new LanguageModelLoader(ids, { batchSize: 16, bptt: 8, seed: 1, fixedLength: true });
    const l = lengths(loader.epoch(3));
    expect(l.slice(0, -1).every((s) => s === 8)).toBe(true);
    expect(l.reduce((a, b) => a + b, 0)).toBe(499);
    expect(l).toHaveLength(loader.fixedLengthBatches);
  });
});

describe('LanguageModelLoader shiftedStart (time-budget training)', () => {
  const streamLength = 600;
  const loader = new LanguageModelLoader(iota(4 * streamLength), { batchSize: 4, bptt: 8, seed: 3, shiftedStart: true });

  test('every window is whole and bptt long, consecutive from a start below bptt, and reads the streams it should', () => {
    for (let e = 0; e < 20; e++) {
      const batches = [...loader.epoch(e)];
      const start = batches[0].start;
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThan(8);
      expect(batches).toHaveLength(nominalBatchCount(4 * streamLength, 4, 8));
      expect(loader.epochLength(e)).toBe(batches.length);
      batches.forEach((b, k) => {
        expect(b.seqLen).toBe(8);
        expect(b.start).toBe(start + 8 * k);
        // iota: stream s's row t holds s·streamLength + t; the target is the next row.
        for (let t = 0; t < 8; t++) {
          for (let s = 0; s < 4; s++) {
            expect(b.input[t * 4 + s]).toBe(s * streamLength + b.start + t);
            expect(b.target[t * 4 + s]).toBe(s * streamLength + b.start + t + 1);
          }
        }
      });
      expect(batches[batches.length - 1].start + 8).toBeLessThanOrEqual(streamLength - 1);
    }
  });

  test('the start moves between epochs (edges are not the same every pass) and is the same on a replay', () => {
    const starts = Array.from({ length: 40 }, (_, e) => [...loader.epoch(e)][0].start);
    expect(new Set(starts).size).toBeGreaterThanOrEqual(6);
    expect([...loader.epoch(7)][0].start).toBe(starts[7]);
  });

  test('the longest start still leaves length whole windows', () => {
    // streamLength 17, bptt 8: length = ⌊17/8⌋ − 1 = 1 window, which fits after any start 0..7 (start + 8 ≤ 16).
    const small = new LanguageModelLoader(iota(2 * 17), { batchSize: 2, bptt: 8, shiftedStart: true });
    for (let e = 0; e < 30; e++) expect([...small.epoch(e)].map((b) => b.seqLen)).toEqual([8]);
  });

  test('not with fixedLength', () => {
    expect(() => new LanguageModelLoader(iota(400), { batchSize: 4, bptt: 8, fixedLength: true, shiftedStart: true })).toThrow(/exclude each other/);
  });
});

describe('LanguageModelLoader bad options', () => {
  const ids = iota(100);
  test.each([
    [{ batchSize: 0, bptt: 8 }, /batchSize 0 is invalid; expected an integer ≥ 1/],
    [{ batchSize: 2.5, bptt: 8 }, /batchSize 2.5 is invalid/],
    [{ batchSize: 4, bptt: 0 }, /bptt 0 is invalid; expected an integer ≥ 1/],
    [{ batchSize: 60, bptt: 1 }, /batchSize 60 is too large for 100 tokens.*use batchSize ≤ 50/],
    [{ batchSize: 200, bptt: 1 }, /batchSize 200 is too large for 100 tokens/],
    [{ batchSize: 10, bptt: 8 }, /100 tokens, too few for one batch at batch size 10, BPTT 8 .*batch size 6 at BPTT 8, or BPTT 5 at batch size 10/],
    [{ batchSize: 4, bptt: 8, seed: 0.5 }, /seed 0.5 is invalid/],
  ])('%p is refused with a clear message', (opts, message) => {
    expect(() => new LanguageModelLoader(ids, opts)).toThrow(OptionError);
    expect(() => new LanguageModelLoader(ids, opts)).toThrow(message);
  });

  test('a short validation stream is fine in fixedLength mode', () => {
    const loader = new LanguageModelLoader(ids, { batchSize: 10, bptt: 8, fixedLength: true });
    expect([...loader].map((b) => b.seqLen)).toEqual([8, 1]);
  });

  test('epoch index must be a non-negative integer', () => {
    const loader = new LanguageModelLoader(ids, { batchSize: 2, bptt: 4 });
    expect(() => loader.epoch(-1)).toThrow(/epoch index -1 is invalid/);
  });
});
