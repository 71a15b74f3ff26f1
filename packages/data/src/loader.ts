import { checkBatchFit, largestStreamBatchSize } from './batch-fit.js';
import { OptionError } from './errors.js';
import { Rng } from './rng.js';

/** One step of truncated BPTT, time-major: element [t][b] sits at index t·batchSize + b. */
export interface Batch {
  /** [seqLen, batchSize] token ids. */
  input: Int32Array;
  /** [seqLen, batchSize]: `input` one step later in each stream. */
  target: Int32Array;
  seqLen: number;
  batchSize: number;
  /** Row of the stream matrix where `input` starts (the position along each stream). */
  start: number;
}

export interface LoaderOptions {
  batchSize: number;
  bptt: number;
  /** Seeds the random sequence lengths (default 0); epoch k draws from stream k of this seed. */
  seed?: number;
  /** Validation mode: every batch is `bptt` long (the last one clipped) and the whole stream is covered. */
  fixedLength?: boolean;
  /**
   * Training with windows of one length (one training graph): every batch is `bptt` long and epoch
   * k starts at a row drawn uniformly from [0, bptt) by its stream of `seed`, so that window edges
   * move between epochs as the randomised lengths make them move. Only whole windows; at most
   * `length` of them. Not with `fixedLength`.
   */
  shiftedStart?: boolean;
}

/** Probability of the full bptt as the base length; otherwise half of it (the lesson's 0.95). */
const FULL_BPTT_PROBABILITY = 0.95;
/** Standard deviation of the sequence length around its base (the lesson's 5). */
const SEQ_LEN_STD = 5;
/** Shortest randomised sequence (the lesson's max(5, …)). */
const MIN_SEQ_LEN = 5;

/** The lesson's `len(md.trn_dl)`: floor(floor(tokens / batchSize) / bptt) − 1. */
export function nominalBatchCount(tokens: number, batchSize: number, bptt: number): number {
  return Math.floor(Math.floor(tokens / batchSize) / bptt) - 1;
}

/**
 * fast.ai's LanguageModelLoader: the token stream is cut into `batchSize` contiguous streams that
 * are read in parallel, so the hidden state of stream b carries over from one batch to the next.
 * Sequence lengths are randomised per batch so that BPTT windows start at different offsets each
 * epoch; an epoch ends when no target row is left or after `length` batches, as in the lesson.
 */
export class LanguageModelLoader implements Iterable<Batch> {
  readonly length: number;
  readonly batchSize: number;
  readonly bptt: number;
  /** Tokens per stream: floor(tokens / batchSize); the remainder is dropped. */
  readonly streamLength: number;
  readonly seed: number;
  readonly fixedLength: boolean;
  readonly shiftedStart: boolean;
  /** Batches in a fixed-length (validation) epoch: ceil((streamLength − 1) / bptt). */
  readonly fixedLengthBatches: number;
  /** The [streamLength, batchSize] matrix, row-major: stream b's token t at t·batchSize + b. */
  private readonly matrix: Int32Array;

  constructor(ids: Int32Array, opts: LoaderOptions) {
    const { batchSize, bptt, seed = 0, fixedLength = false, shiftedStart = false } = opts;
    if (fixedLength && shiftedStart) throw new OptionError('fixedLength (validation: the whole stream from row 0) and shiftedStart (training: whole windows from a random row) exclude each other; give one');
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new OptionError(`batchSize ${batchSize} is invalid; expected an integer ≥ 1 such as 64`);
    }
    if (!(Number.isInteger(bptt) && bptt >= 1)) {
      throw new OptionError(`bptt ${bptt} is invalid; expected an integer ≥ 1 such as 8`);
    }
    if (!Number.isSafeInteger(seed)) throw new OptionError(`seed ${seed} is invalid; expected a safe integer such as 0`);
    const streamLength = Math.floor(ids.length / batchSize);
    if (streamLength < 2) {
      throw new OptionError(
        `batchSize ${batchSize} is too large for ${ids.length} tokens: each stream needs at least 2 tokens (an input and its target); ` +
          `use batchSize ≤ ${Math.max(1, largestStreamBatchSize(ids.length))}`,
      );
    }
    const length = nominalBatchCount(ids.length, batchSize, bptt);
    if (!fixedLength) checkBatchFit({ trainTokens: ids.length }, { batchSize, bptt });
    this.batchSize = batchSize;
    this.bptt = bptt;
    this.seed = seed;
    this.fixedLength = fixedLength;
    this.shiftedStart = shiftedStart;
    this.streamLength = streamLength;
    this.length = length;
    this.fixedLengthBatches = Math.ceil((streamLength - 1) / bptt);
    this.matrix = new Int32Array(streamLength * batchSize);
    for (let b = 0; b < batchSize; b++) {
      const offset = b * streamLength;
      for (let t = 0; t < streamLength; t++) this.matrix[t * batchSize + b] = ids[offset + t];
    }
  }

  /** Epoch `index`'s batches; the same (seed, index) always yields the same batches, so a resumed run replays it exactly. */
  epoch(index: number): Iterable<Batch> {
    if (!(Number.isSafeInteger(index) && index >= 0)) {
      throw new OptionError(`epoch index ${index} is invalid; expected an integer ≥ 0`);
    }
    return { [Symbol.iterator]: () => this.batches(index) };
  }

  [Symbol.iterator](): Iterator<Batch> {
    return this.batches(0);
  }

  /** Draws one randomised sequence length: base bptt with p = 0.95 else bptt/2, then max(5, ⌊N(base, 5)⌋). */
  static drawSeqLen(rng: Rng, bptt: number): number {
    const base = rng.next() < FULL_BPTT_PROBABILITY ? bptt : bptt / 2;
    return Math.max(MIN_SEQ_LEN, Math.floor(rng.normal(base, SEQ_LEN_STD)));
  }

  /** How many batches epoch `index` yields: what iterating it counts, without building them. */
  epochLength(index: number): number {
    let count = 0;
    for (const _ of windows(this, index)) count++;
    return count;
  }

  private *batches(epochIndex: number): Generator<Batch> {
    const bs = this.batchSize;
    for (const { pos, seqLen } of windows(this, epochIndex)) {
      yield {
        input: this.matrix.slice(pos * bs, (pos + seqLen) * bs),
        target: this.matrix.slice((pos + 1) * bs, (pos + 1 + seqLen) * bs),
        seqLen,
        batchSize: bs,
        start: pos,
      };
    }
  }
}

/** Epoch `epochIndex`'s windows (start row and length), drawn as the batches are: the one rule for iterating and counting. */
function* windows(loader: LanguageModelLoader, epochIndex: number): Generator<{ pos: number; seqLen: number }> {
  const rng = new Rng(loader.seed, epochIndex);
  const lastInputRow = loader.streamLength - 1; // the final row can only be a target
  const maxBatches = loader.fixedLength ? loader.fixedLengthBatches : loader.length;
  if (loader.shiftedStart) {
    // length = ⌊streamLength / bptt⌋ − 1 whole windows fit after any start below bptt.
    let start = Math.floor(rng.next() * loader.bptt);
    for (let count = 0; start + loader.bptt <= lastInputRow && count < loader.length; count++, start += loader.bptt) yield { pos: start, seqLen: loader.bptt };
    return;
  }
  let pos = 0;
  for (let count = 0; pos < lastInputRow && count < maxBatches; count++) {
    const wanted = loader.fixedLength ? loader.bptt : LanguageModelLoader.drawSeqLen(rng, loader.bptt);
    const seqLen = Math.min(wanted, lastInputRow - pos);
    yield { pos, seqLen };
    pos += seqLen;
  }
}
