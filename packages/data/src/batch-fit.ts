import { OptionError } from './errors.js';

/**
 * Whether a corpus is large enough for a batch size and BPTT length, written once for
 * `data:prepare`, the loader and the trainer. The training loader needs at least one batch per
 * epoch, floor(floor(tokens / batchSize) / bptt) − 1 ≥ 1, which holds exactly when
 * tokens ≥ 2·bptt·batchSize; the validation loader (fixed length) needs two tokens per stream.
 */
export interface BatchSettings {
  batchSize: number;
  bptt: number;
}

export interface SplitSizes {
  trainTokens: number;
  /** Omit to check the training split only. */
  validTokens?: number;
}

/** The corpus (or one of its splits) gives no batch at the requested settings; the message names what would. */
export class CorpusTooSmallError extends OptionError {}

/** Largest batch size that gives the training loader one batch at `bptt` (0: none does). */
export function largestTrainingBatchSize(tokens: number, bptt: number): number {
  return Math.floor(tokens / (2 * bptt));
}

/** Largest BPTT that gives the training loader one batch at `batchSize` (0: none does). */
export function largestTrainingBptt(tokens: number, batchSize: number): number {
  return Math.floor(Math.floor(tokens / batchSize) / 2);
}

/** Largest batch size for the fixed-length (validation) loader: two tokens per stream, an input and its target. */
export function largestStreamBatchSize(tokens: number): number {
  return Math.floor(tokens / 2);
}

/** Throws CorpusTooSmallError unless the training split (and the validation split, if given) fills at least one batch. */
export function checkBatchFit(sizes: SplitSizes, settings: BatchSettings): void {
  const { batchSize, bptt } = settings;
  const problems: string[] = [];
  const train = sizes.trainTokens;
  if (train < 2 * bptt * batchSize) {
    const alternatives: string[] = [];
    const bs = largestTrainingBatchSize(train, bptt);
    const len = largestTrainingBptt(train, batchSize);
    if (bs >= 1) alternatives.push(`batch size ${bs} at BPTT ${bptt}`);
    if (len >= 1) alternatives.push(`BPTT ${len} at batch size ${batchSize}`);
    if (alternatives.length === 0 && train >= 2) alternatives.push(`batch size ${largestTrainingBatchSize(train, 1)} at BPTT 1`);
    problems.push(
      `the training split has ${tokens(train)}, too few for one batch at batch size ${batchSize}, BPTT ${bptt} ` +
        `(needs 2 × BPTT × batch size = ${2 * bptt * batchSize}); ` +
        (alternatives.length > 0 ? `the largest that work: ${alternatives.join(', or ')}` : 'give a corpus of at least 2 characters'),
    );
  }
  const valid = sizes.validTokens;
  if (valid !== undefined && largestStreamBatchSize(valid) < batchSize) {
    const bs = largestStreamBatchSize(valid);
    problems.push(
      `the validation split has ${tokens(valid)}, too few for batch size ${batchSize} (needs 2 × batch size = ${2 * batchSize}); ` +
        (bs >= 1 ? `the largest that works is batch size ${bs}, or hold out more lines for validation` : 'hold out more lines for validation (a larger valid fraction)'),
    );
  }
  if (problems.length > 0) throw new CorpusTooSmallError(`corpus too small: ${problems.join('; ')}`);
}

function tokens(n: number): string {
  return `${n} token${n === 1 ? '' : 's'}`;
}
