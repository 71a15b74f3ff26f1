/**
 * How generated text leaves the loop. A Streamer (transformers.js' shape: put / end) for push
 * consumers; GenerationStream for pull consumers: `for await (const chunk of stream)` or
 * `await stream` for the whole text.
 */

export interface Streamer {
  /** A chunk of generated text; `row` is the batch row (0 for generate). */
  put(text: string, row: number): void;
  end(): void;
}

export type FinishReason = 'length' | 'stop' | 'abort';

export interface GenerationResult {
  /**
   * The generated text (the prompt is not repeated) when the stream was awaited whole (`await
   * stream`, or `stream.result()` before iterating); '' when it was iterated, whose chunks were
   * the text: a stream that is iterated keeps no copy, so its memory stays constant however long
   * it runs.
   */
  text: string;
  /** Number of generated characters (tokens). */
  newTokens: number;
  finishReason: FinishReason;
}

/**
 * The value of generate(): an async iterable of chunks that is also awaitable for the whole
 * text. Generation is lazy: it starts at the first iteration or the first await, and runs once.
 * The producer is told whether to keep the text (only when awaited whole). It reports its result
 * from its `finally`, so a consumer that breaks out of the loop early still gets a result (and
 * the generator still saves its state).
 */
export class GenerationStream<Chunk, Result, Whole = Result> implements AsyncIterable<Chunk>, PromiseLike<Whole> {
  private started = false;
  private drained: Promise<Result> | undefined;
  private resolveResult!: (r: Result) => void;
  private rejectResult!: (e: unknown) => void;
  private readonly resultPromise: Promise<Result>;

  constructor(
    private readonly produce: (report: (result: Result) => void, keepText: boolean) => AsyncGenerator<Chunk, void>,
    private readonly whole: (result: Result) => Whole,
  ) {
    this.resultPromise = new Promise<Result>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A result nobody asked for must not become an unhandled rejection.
    this.resultPromise.catch(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<Chunk> {
    return this.start(false);
  }

  private start(keepText: boolean): AsyncIterator<Chunk> {
    if (this.started) throw new TypeError('a generation stream can be consumed only once');
    this.started = true;
    const inner = this.produce((result) => this.resolveResult(result), keepText);
    const reject = (error: unknown): void => this.rejectResult(error);
    return {
      next: () =>
        inner.next().catch((error: unknown) => {
          reject(error);
          throw error;
        }),
      return: async () => {
        await inner.return();
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * Runs to the end (or waits for the running iteration) and gives the full result: with the
   * text if generation starts here, without it if the stream is being iterated.
   */
  result(): Promise<Result> {
    if (this.drained === undefined) {
      this.drained = this.started
        ? this.resultPromise
        : (async () => {
            const chunks = this.start(true);
            // drain: the chunks also went to the streamer, if any
            while (!(await chunks.next()).done);
            return this.resultPromise;
          })();
    }
    return this.drained;
  }

  then<A = Whole, B = never>(
    onfulfilled?: ((value: Whole) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result().then((r) => this.whole(r)).then(onfulfilled, onrejected);
  }
}
