import { createHash } from 'node:crypto';
import { normaliseLineBreaks, type TextMode } from '@charrnn/contract';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkBatchFit } from '../batch-fit.js';
import { corpusStats, prepareCorpus, type CorpusStats } from '../prepare.js';
import { splitCharacters, splitLines, type CorpusSplit } from '../split.js';
import { DEFAULT_SPECIALS } from '../vocab.js';
import { writeFileAtomic } from '@charrnn/contract/node';
import { loadCorpus } from './corpus-source.js';
import type { ProgressSink } from './progress.js';
import { writeSplitFolders } from './split-folders.js';

export interface PrepareDirectoryOptions {
  /** Path, file: URL or http(s) URL; the embedded corpus when omitted. */
  corpus?: string;
  outDir: string;
  /** How line breaks are read (prepareCorpus); default `faithful` for a given corpus, `lesson` for the embedded one. */
  text?: TextMode;
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
  text: TextMode;
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
  const text = opts.text ?? defaultTextMode(opts.corpus);
  const { cacheDir, progress, allowControlChars, idleTimeoutMs } = opts;
  const loaded = await loadCorpus(opts.corpus, { cacheDir, progress, allowControlChars, idleTimeoutMs });
  const prepared = prepareCorpus(loaded.text, { text, validFraction, minFreq, lower: opts.lower, allowControlChars });
  // Refused here rather than by train:fit later: stats.json would say batchesPerEpoch ≤ 0.
  checkBatchFit({ trainTokens: prepared.train.length, validTokens: prepared.valid.length }, { batchSize, bptt });
  const sha256 = createHash('sha256').update(await readFile(loaded.path)).digest('hex');
  const stats: PreparedDirectoryStats = {
    corpus: loaded.source,
    sha256,
    validFraction,
    minFreq,
    text,
    specials: [...DEFAULT_SPECIALS],
    ...corpusStats(prepared, { batchSize, bptt }),
    itos: [...prepared.vocab.itos],
  };
  await writeSplitFolders(opts.outDir, splitFor(loaded.text, text, validFraction));
  await writeFileAtomic(join(opts.outDir, 'vocab.json'), JSON.stringify(prepared.vocab.toJSON(), null, 1) + '\n');
  await writeFileAtomic(join(opts.outDir, 'stats.json'), JSON.stringify(stats, null, 1) + '\n');
  return stats;
}

/**
 * The text mode a run reads its corpus in unless told: the lesson's for the embedded lesson corpus
 * (so the lesson's figures hold), the text as written for anyone's own corpus.
 */
export function defaultTextMode(corpus: string | undefined): TextMode {
  return corpus === undefined ? 'lesson' : 'faithful';
}

/** The two parts as the trn/ and val/ files hold them: whole lines for `lesson`, the character cut for `faithful`. */
function splitFor(text: string, mode: TextMode, validFraction: number): CorpusSplit {
  if (mode === 'lesson') return splitLines(text, validFraction);
  const { train, valid } = splitCharacters([...normaliseLineBreaks(text)], validFraction);
  return { trainLines: [train.join('')], validLines: [valid.join('')] };
}
