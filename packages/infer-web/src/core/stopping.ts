/**
 * Stopping rules as small composable pieces (transformers.js' StoppingCriteria): each looks at a
 * row after a character is appended and may end that row with a reason.
 */
import type { FinishReason } from './streamer.js';

export interface StoppingCriterion {
  /** Called after `text` was appended to `row`, which now has `count` new characters. */
  check(row: number, text: string, count: number): FinishReason | null;
}

export class MaxNewTokensCriterion implements StoppingCriterion {
  constructor(readonly maxNewTokens: number) {}
  check(_row: number, _text: string, count: number): FinishReason | null {
    return count >= this.maxNewTokens ? 'length' : null;
  }
}

/** Ends a row once its generated text ends with any stop string (kept in the output). */
export class StopStringsCriterion implements StoppingCriterion {
  private readonly tails: string[];
  private readonly keep: number;
  constructor(
    readonly stops: readonly string[],
    rows: number,
  ) {
    this.tails = new Array<string>(rows).fill('');
    this.keep = Math.max(0, ...stops.map((s) => s.length));
  }
  check(row: number, text: string): FinishReason | null {
    const tail = (this.tails[row] + text).slice(-this.keep);
    this.tails[row] = tail;
    for (const stop of this.stops) if (tail.endsWith(stop)) return 'stop';
    return null;
  }
}

/** Ends every row once the signal is aborted; checked before each character is sampled. */
export class AbortCriterion implements StoppingCriterion {
  constructor(readonly signal: AbortSignal) {}
  check(): FinishReason | null {
    return this.signal.aborted ? 'abort' : null;
  }
}

export function stoppingCriteria(maxNewTokens: number, stop: readonly string[], rows: number): StoppingCriterion[] {
  const criteria: StoppingCriterion[] = [new MaxNewTokensCriterion(maxNewTokens)];
  if (stop.length > 0) criteria.push(new StopStringsCriterion(stop, rows));
  return criteria;
}
