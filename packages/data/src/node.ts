// @charrnn/data/node — the Node-only edge of the pipeline: files, downloads, progress (atomic writes are @charrnn/contract/node's).
export { type ProgressSink, type ProgressOptions, type ProgressOutcome, createProgress, formatAmount } from './io/progress.js';
export {
  EMBEDDED_CORPUS_PATH,
  EMBEDDED_CORPUS_SHA256,
  EMBEDDED_CORPUS_SOURCE,
  readEmbeddedCorpus,
  readVerifiedCorpus,
} from './io/embedded-corpus.js';
export {
  type LoadCorpusOptions,
  type LoadedCorpus,
  LESSON_CORPUS_URL,
  DEFAULT_IDLE_TIMEOUT_MS,
  loadCorpus,
  cachePathFor,
  defaultCacheDir,
} from './io/corpus-source.js';
export { writeSplitFolders } from './io/split-folders.js';
export { type PrepareDirectoryOptions, type PreparedDirectoryStats, prepareDirectory, defaultTextMode } from './io/prepare-directory.js';
