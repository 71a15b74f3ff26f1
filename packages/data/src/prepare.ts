import { checkCorpusText } from './corpus-text.js';
import { nominalBatchCount } from './loader.js';
import { splitLines } from './split.js';
import { tokenize } from './tokenizer.js';
import { DEFAULT_SPECIALS, Vocab } from './vocab.js';

export interface PrepareOptions {
  /** Fraction of lines (at the end) held out for validation (default 0.2). */
  validFraction?: number;
  /** Lower-case before tokenizing (default true). */
  lower?: boolean;
  /** Minimum count in the training split for a character to enter the vocabulary (default 3). */
  minFreq?: number;
  /** Keep control characters other than tab, newline and CR (default false: refused, as by decodeCorpus). */
  allowControlChars?: boolean;
}

/** A corpus ready for the loaders: the vocabulary from the training split and both splits as ids. */
export interface PreparedCorpus {
  vocab: Vocab;
  train: Int32Array;
  valid: Int32Array;
  lower: boolean;
  trainLines: number;
  validLines: number;
}

/** The lesson's pipeline: split by lines → char tokens (+ EOS) → vocab from train → ids. */
export function prepareCorpus(text: string, opts: PrepareOptions = {}): PreparedCorpus {
  const lower = opts.lower ?? true;
  checkCorpusText(text, 'text', opts);
  const split = splitLines(text, opts.validFraction ?? 0.2);
  const trainTokens = tokenize(split.trainLines, { lower });
  const validTokens = tokenize(split.validLines, { lower });
  const vocab = Vocab.build(trainTokens, { minFreq: opts.minFreq ?? 3, specials: DEFAULT_SPECIALS });
  return {
    vocab,
    train: vocab.encode(trainTokens),
    valid: vocab.encode(validTokens),
    lower,
    trainLines: split.trainLines.length,
    validLines: split.validLines.length,
  };
}

/** The figures of a prepared corpus, in the shape of test-fixtures/nietzsche.expected.json (docs/lesson-data.md). */
export interface CorpusStats {
  lines: number;
  trainLines: number;
  validLines: number;
  lower: boolean;
  trainTokens: number;
  validTokens: number;
  /** Validation tokens read as `<unk>` (characters rare or absent in train, and the EOS). */
  validUnknownTokens: number;
  vocabSize: number;
  batchSize: number;
  bptt: number;
  /** The lesson's `len(trn_dl)` at this batchSize and bptt. */
  batchesPerEpoch: number;
}

export function corpusStats(prepared: PreparedCorpus, loader: { batchSize: number; bptt: number }): CorpusStats {
  let validUnknownTokens = 0;
  for (const id of prepared.valid) if (id === prepared.vocab.unkId) validUnknownTokens++;
  return {
    lines: prepared.trainLines + prepared.validLines,
    trainLines: prepared.trainLines,
    validLines: prepared.validLines,
    lower: prepared.lower,
    trainTokens: prepared.train.length,
    validTokens: prepared.valid.length,
    validUnknownTokens,
    vocabSize: prepared.vocab.size,
    batchSize: loader.batchSize,
    bptt: loader.bptt,
    batchesPerEpoch: nominalBatchCount(prepared.train.length, loader.batchSize, loader.bptt),
  };
}
