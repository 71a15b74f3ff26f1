import { normaliseLineBreaks, type TextMode } from '@charrnn/contract';
import { checkCorpusText } from './corpus-text.js';
import { nominalBatchCount } from './loader.js';
import { splitCharacters, splitLines } from './split.js';
import { tokenize } from './tokenizer.js';
import { DEFAULT_SPECIALS, Vocab } from './vocab.js';

export interface PrepareOptions {
  /**
   * `lesson` (default): the lesson's pipeline (docs/lesson-data.md), lines joined without their
   * breaks. `faithful`: the text as written, line breaks kept as characters (docs/faithful-text.md).
   */
  text?: TextMode;
  /**
   * Fraction held out for validation at the end (default 0.2): of the lines for `lesson`, of the
   * characters for `faithful` (the validation text starts at code point ⌊n · (1 − f)⌋).
   */
  validFraction?: number;
  /** Lower-case before tokenizing (default true for `lesson`, false for `faithful`). */
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
  text: TextMode;
  trainLines: number;
  validLines: number;
}

/**
 * Text → the vocabulary from the training part and both parts as ids. `lesson`: split by lines →
 * char tokens (+ EOS) per split; `faithful`: line breaks normalised to "\n", split by characters,
 * every character (line breaks included) a token, no EOS.
 */
export function prepareCorpus(text: string, opts: PrepareOptions = {}): PreparedCorpus {
  const mode = opts.text ?? 'lesson';
  const lower = opts.lower ?? mode === 'lesson';
  checkCorpusText(text, 'text', opts);
  const validFraction = opts.validFraction ?? 0.2;
  let trainTokens: string[];
  let validTokens: string[];
  let trainLines: number;
  let validLines: number;
  if (mode === 'faithful') {
    const chars = [...normaliseLineBreaks(lower ? text.toLowerCase() : text)];
    const split = splitCharacters(chars, validFraction);
    [trainTokens, validTokens] = [split.train, split.valid];
    [trainLines, validLines] = [lineCount(trainTokens), lineCount(validTokens)];
  } else {
    const split = splitLines(text, validFraction);
    trainTokens = tokenize(split.trainLines, { lower });
    validTokens = tokenize(split.validLines, { lower });
    [trainLines, validLines] = [split.trainLines.length, split.validLines.length];
  }
  const vocab = Vocab.build(trainTokens, { minFreq: opts.minFreq ?? 3, specials: DEFAULT_SPECIALS });
  return { vocab, train: vocab.encode(trainTokens), valid: vocab.encode(validTokens), lower, text: mode, trainLines, validLines };
}

/** Lines a run of characters spans: its line breaks, plus one for a last line without a break. */
function lineCount(chars: readonly string[]): number {
  let breaks = 0;
  for (const ch of chars) if (ch === '\n') breaks++;
  return breaks + (chars.length > 0 && chars[chars.length - 1] !== '\n' ? 1 : 0);
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
