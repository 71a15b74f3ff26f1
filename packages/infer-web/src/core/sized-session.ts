/**
 * Routes each run to one of two sessions on the same model by its size: small runs (one
 * character of batch-1 generation) to a single-threaded session, where handing work to a second
 * thread costs more than it saves, and large runs (prompt priming, wide batches) to a session
 * with more intra-op threads, where the matrix products are big enough to split. On a quiet
 * 2-core machine the lesson GRU primes 1.5× and steps a batch of 64 1.3× faster on two threads,
 * while a batch-1 step gains little and burns a second core (README "Where the time goes").
 */
import { gateCount, type ModelInfo } from '@charrnn/contract';
import type { RecurrentOutputs, RecurrentSession } from './session.js';

/** Multiply-adds per character: every recurrent layer's input and recurrent products, and the decoder. */
export function macsPerChar(info: ModelInfo): number {
  const gates = gateCount(info.arch);
  let macs = info.hiddenSize * info.vocabSize;
  for (let layer = 0; layer < info.numLayers; layer++) {
    const input = layer === 0 ? info.embeddingDim : info.hiddenSize;
    macs += gates * info.hiddenSize * (input + info.hiddenSize);
  }
  return macs;
}

/**
 * Runs at or above this many multiply-adds go to the multi-threaded session: about a batch of 8
 * characters of the lesson GRU (hidden 256), about 1 ms of work on one core.
 */
export const LARGE_RUN_MACS = 2_000_000;

export class SizedRecurrentSession implements RecurrentSession {
  private readonly perChar: number;

  constructor(
    private readonly small: RecurrentSession,
    private readonly large: RecurrentSession,
    info: ModelInfo,
    private readonly threshold = LARGE_RUN_MACS,
  ) {
    this.perChar = macsPerChar(info);
  }

  get backend(): string {
    return this.small.backend;
  }

  run(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array, c0?: Float32Array): Promise<RecurrentOutputs> {
    const session = seq * batch * this.perChar >= this.threshold ? this.large : this.small;
    return session.run(tokens, seq, batch, h0, c0);
  }

  async release(): Promise<void> {
    await Promise.all([this.small.release(), this.large.release()]);
  }
}
