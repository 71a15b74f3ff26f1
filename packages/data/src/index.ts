// @charrnn/data — the lesson's data pipeline. Browser-safe: nothing reachable from here imports Node.
export { DataError, CorpusError, ControlCharactersError, VocabError, OptionError, FileWriteError } from './errors.js';
export { type DecodeCorpusOptions, checkCorpusText, decodeCorpus, firstInvalidUtf8Offset } from './corpus-text.js';
export { type CorpusSplit, splitLines, splitCharacters, readLines, trainLineCount } from './split.js';
export { EOS, type TokenizeOptions, tokenize } from './tokenizer.js';
export { Vocab, type VocabBuildOptions, UNK, PAD, DEFAULT_SPECIALS, compareCodePoints } from './vocab.js';
export { Rng } from './rng.js';
export { type Batch, type LoaderOptions, LanguageModelLoader, nominalBatchCount } from './loader.js';
export {
  type BatchSettings,
  type SplitSizes,
  CorpusTooSmallError,
  checkBatchFit,
  largestTrainingBatchSize,
  largestTrainingBptt,
  largestStreamBatchSize,
} from './batch-fit.js';
export { type PreparedCorpus, type PrepareOptions, type CorpusStats, prepareCorpus, corpusStats } from './prepare.js';
