import { checkBatchFit, CorpusTooSmallError, largestStreamBatchSize, largestTrainingBatchSize, largestTrainingBptt } from './batch-fit.js';
import { OptionError } from './errors.js';
import { LanguageModelLoader, nominalBatchCount } from './loader.js';

const fits = (tokens: number, batchSize: number, bptt: number): boolean => nominalBatchCount(tokens, batchSize, bptt) >= 1;

describe('checkBatchFit', () => {
  test('agrees with the loader: a setting passes exactly when an epoch has at least one batch', () => {
    for (const tokens of [0, 1, 2, 3, 4, 15, 16, 17, 100, 1023, 1024]) {
      for (const batchSize of [1, 2, 3, 8, 64]) {
        for (const bptt of [1, 2, 5, 8]) {
          const ok = fits(tokens, batchSize, bptt);
          if (ok) expect(() => checkBatchFit({ trainTokens: tokens }, { batchSize, bptt })).not.toThrow();
          else expect(() => checkBatchFit({ trainTokens: tokens }, { batchSize, bptt })).toThrow(CorpusTooSmallError);
          const ids = new Int32Array(tokens);
          if (ok) expect(new LanguageModelLoader(ids, { batchSize, bptt }).length).toBeGreaterThanOrEqual(1);
          else expect(() => new LanguageModelLoader(ids, { batchSize, bptt })).toThrow(OptionError);
        }
      }
    }
  });

  test('the largest batch size and BPTT it names are the largest that work', () => {
    for (const tokens of [2, 3, 17, 100, 4097]) {
      for (const n of [1, 3, 8]) {
        const bs = largestTrainingBatchSize(tokens, n);
        if (bs >= 1) expect(fits(tokens, bs, n)).toBe(true);
        expect(fits(tokens, bs + 1, n)).toBe(false);
        const bptt = largestTrainingBptt(tokens, n);
        if (bptt >= 1) expect(fits(tokens, n, bptt)).toBe(true);
        expect(fits(tokens, n, bptt + 1)).toBe(false);
      }
      const stream = largestStreamBatchSize(tokens);
      expect(new LanguageModelLoader(new Int32Array(tokens), { batchSize: stream, bptt: 1, fixedLength: true }).streamLength).toBe(Math.floor(tokens / stream));
      expect(() => new LanguageModelLoader(new Int32Array(tokens), { batchSize: stream + 1, bptt: 1, fixedLength: true })).toThrow(OptionError);
    }
  });

  test('the message names the split, the need, and the largest settings that work', () => {
    expect(() => checkBatchFit({ trainTokens: 100 }, { batchSize: 10, bptt: 8 })).toThrow(
      'corpus too small: the training split has 100 tokens, too few for one batch at batch size 10, BPTT 8 (needs 2 × BPTT × batch size = 160); ' +
        'the largest that work: batch size 6 at BPTT 8, or BPTT 5 at batch size 10',
    );
    // A 3-character corpus: 4 training tokens (with the end-of-stream token); nothing at BPTT 8 or batch size 64.
    expect(() => checkBatchFit({ trainTokens: 4 }, { batchSize: 64, bptt: 8 })).toThrow(/has 4 tokens, .*the largest that work: batch size 2 at BPTT 1$/);
    expect(() => checkBatchFit({ trainTokens: 1 }, { batchSize: 1, bptt: 1 })).toThrow(/has 1 token, .*give a corpus of at least 2 characters/);
    expect(() => checkBatchFit({ trainTokens: 1000, validTokens: 50 }, { batchSize: 32, bptt: 8 })).toThrow(
      'corpus too small: the validation split has 50 tokens, too few for batch size 32 (needs 2 × batch size = 64); the largest that works is batch size 25, or hold out more lines for validation',
    );
    // Both splits at once, one sentence each.
    expect(() => checkBatchFit({ trainTokens: 4, validTokens: 1 }, { batchSize: 64, bptt: 8 })).toThrow(/training split has 4 tokens.*; the validation split has 1 token, .*a larger valid fraction\)$/);
    expect(() => checkBatchFit({ trainTokens: 1024, validTokens: 128 }, { batchSize: 64, bptt: 8 })).not.toThrow();
  });
});
