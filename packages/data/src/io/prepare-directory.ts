import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkBatchFit } from '../batch-fit.js';
import { corpusStats, prepareCorpus, type CorpusStats } from '../prepare.js';
import { splitLines } from '../split.js';
import { DEFAULT_SPECIALS } from '../vocab.js';
import { writeFileAtomic } from './atomic-write.js';
import { loadCorpus } from './corpus-source.js';
import type { ProgressSink } from './progress.js';
import { writeSplitFolders } from './split-folders.js';

export interface PrepareDirectoryOptions {
  /** Path, file: URL or http(s) URL; the embedded corpus when omitted. */
  corpus?: string;
  outDir: string;
  batchSize?: number;
  bptt?: number;
  validFraction?: number;
  minFreq?: number;
  lower?: boolean;
  cacheDir?: string;
  progress?: ProgressSink | boolean;
  /** Keep control characters other than tab/newline/CR in the corpus (default false: refused). */
  allowControlChars?: boolean;
  /** Abandon a corpus download that receives nothing for this long (default 30 000 ms). */
  idleTimeoutMs?: number;
}

/** stats.json: the corpus figures plus where they came from and the settings that produced them. */
export interface PreparedDirectoryStats extends CorpusStats {
  corpus: string;
  /** sha256 of the corpus file's bytes. */
  sha256: string;
  validFraction: number;
  minFreq: number;
  specials: string[];
  itos: string[];
}

/**
 * The `prepare` job: load → split → vocab → ids, then vocab.json, stats.json, trn/ and val/ in
 * outDir. A corpus whose splits give no batch at `batchSize` and `bptt` is refused
 * (CorpusTooSmallError) before anything is written.
 */
export async function prepareDirectory(opts: PrepareDirectoryOptions): Promise<PreparedDirectoryStats> {
  const batchSize = opts.batchSize ?? 64;
  const bptt = opts.bptt ?? 8;
  const validFraction = opts.validFraction ?? 0.2;
  const minFreq = opts.minFreq ?? 3;
  const lower = opts.lower ?? true;
  const { cacheDir, progress, allowControlChars, idleTimeoutMs } = opts;
  const loaded = await loadCorpus(opts.corpus, { cacheDir, progress, allowControlChars, idleTimeoutMs });
  const prepared = prepareCorpus(loaded.text, { validFraction, minFreq, lower, allowControlChars });
  // Refused here rather than by train:fit later: stats.json would say batchesPerEpoch ≤ 0.
  checkBatchFit({ trainTokens: prepared.train.length, validTokens: prepared.valid.length }, { batchSize, bptt });
  const sha256 = createHash('sha256').update(await readFile(loaded.path)).digest('hex');
  const stats: PreparedDirectoryStats = {
    corpus: loaded.source,
    sha256,
    validFraction,
    minFreq,
    specials: [...DEFAULT_SPECIALS],
    ...corpusStats(prepared, { batchSize, bptt }),
    itos: [...prepared.vocab.itos],
  };
  await writeSplitFolders(opts.outDir, splitLines(loaded.text, validFraction));
  await writeFileAtomic(join(opts.outDir, 'vocab.json'), JSON.stringify(prepared.vocab.toJSON(), null, 1) + '\n');
  await writeFileAtomic(join(opts.outDir, 'stats.json'), JSON.stringify(stats, null, 1) + '\n');
  return stats;
}
