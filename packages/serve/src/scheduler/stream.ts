/**
 * One generation stream inside a scheduler (one choice of one request): its own state, its own
 * seeded Rng and sampler, its stopping rules, and where its text goes. A stream is what the
 * scheduler steps; the scheduler decides when.
 */
import {
  MaxNewTokensCriterion,
  Sampler,
  StopStringsCriterion,
  type Rng,
  type SamplingOptions,
  type StoppingCriterion,
  type StreamState,
} from '@charrnn/infer-web/node';
import type { BatchRow } from './batch-state.js';
import { tokenLogprob, type TokenLogprob } from './logprobs.js';

/**
 * Why a stream ended: OpenAI's 'length' and 'stop', or cut short: the client went away
 * ('cancelled'), the request timed out, the server shut down before it finished ('drain'), or
 * the model failed ('error').
 */
export type StreamEnd = 'length' | 'stop' | 'cancelled' | 'timeout' | 'drain' | 'error';

/** infer-web's sampling settings (temperature, top-k, top-p, min-p, the penalties), all given. */
export type SamplingSettings = Required<Omit<SamplingOptions, 'logitsProcessors' | 'suppressTokens'>>;

export interface StreamResult {
  /** All generated text. */
  text: string;
  /** Generated characters. */
  tokens: number;
  reason: StreamEnd;
  /** The state after the last character: continue from it (sessions). */
  state: StreamState;
  /** The random stream as the stream left it (sessions continue it). */
  rng: Rng;
  /** Set when reason is 'error'. */
  error?: Error;
}

/**
 * Where a stream's text goes. The scheduler coalesces characters and calls `push` at most once
 * per flush interval; `end` once, after the last push.
 */
export interface StreamSink {
  /**
   * New text: generated tokens `from` … `to` (exclusive), whose log-probabilities, if asked for,
   * are the stream's `logprobs[from … to)`. Returns false when the consumer cannot take more for
   * now (a slow SSE reader): the stream then pauses, and the consumer calls the scheduler's
   * resume() once it can.
   */
  push(text: string, from: number, to: number): boolean;
  end(result: StreamResult): void;
}

/** What a request asks of one stream. */
export interface StreamSpec {
  /** Token ids of the prompt, fed after the state's pending ids. */
  prompt: readonly number[];
  /** The state to start from; the stream takes ownership of it. */
  state: StreamState;
  /** This stream's random generator; the stream takes ownership of it. */
  rng: Rng;
  sampling: SamplingSettings;
  maxTokens: number;
  stop: readonly string[];
  /** Keep the stop string at the end of the text (vLLM's include_stop_str_in_output). Default false. */
  includeStop?: boolean;
  /** Record each generated character's log-probability and this many alternatives. Default: none. */
  logprobs?: number;
  /** Record the log-probability of each prompt character too (OpenAI's echo with logprobs). */
  promptLogprobs?: boolean;
  sink: StreamSink;
}

let nextId = 1;

export class LiveStream implements BatchRow {
  readonly id = nextId++;
  /** Slot in the decode batch, -1 while the state lives in `h`/`c`. */
  slot = -1;
  readonly h: Float32Array;
  readonly c: Float32Array | undefined;
  /** Ids to run through the model: pending + prompt first, then each sampled id. */
  feed: number[];
  cursor = 0;
  /** Whether `logits` holds the distribution for the next character. */
  ready = false;
  readonly logits: Float32Array;
  /** Paused by backpressure until resumed. */
  blocked = false;
  /** Set when the stream was cut short; the scheduler ends it between steps. */
  cancelled: Exclude<StreamEnd, 'length' | 'stop'> | null = null;
  error: Error | undefined;
  count = 0;
  /** performance.now() at submit, at the first character (0 before), for the latency metrics. */
  readonly submittedAt = performance.now();
  firstTokenAt = 0;
  /** The ids generated so far (the penalties read them). */
  readonly generated: number[] = [];
  /** Everything generated (the stop string is cut off when the stream ends on one). */
  text = '';
  /** Characters of `text` handed to the sink so far. */
  private sent = 0;
  /** Tokens handed to the sink so far. */
  private sentTokens = 0;
  /** Where each generated token starts in `text` (kept with logprobs only). */
  private readonly offsets: number[] = [];
  /** Each generated character's log-probability, when the spec asks for them. */
  readonly logprobs: TokenLogprob[] | undefined;
  /**
   * The prompt's characters' log-probabilities (null for the first one when nothing came before
   * it), when the spec asks for them; filled while the prompt is fed.
   */
  readonly promptLogprobs: (TokenLogprob | null)[] | undefined;
  private readonly pendingCount: number;
  ended = false;
  readonly rng: Rng;
  readonly sampler: Sampler;
  private readonly criteria: StoppingCriterion[];

  constructor(
    readonly spec: StreamSpec,
    vocabSize: number,
    suppressTokens: readonly number[],
    /** A token id as text (the tokenizer's decodeOne). */
    private readonly decode: (id: number) => string = String,
  ) {
    const { state } = spec;
    this.h = state.h;
    this.c = state.c;
    this.feed = [...state.pending, ...spec.prompt];
    this.logits = new Float32Array(vocabSize);
    if (this.feed.length === 0 && state.logits !== undefined) {
      this.logits.set(state.logits);
      this.ready = true;
    }
    this.rng = spec.rng;
    this.sampler = new Sampler(vocabSize, { ...spec.sampling, suppressTokens });
    this.pendingCount = state.pending.length;
    if (spec.logprobs !== undefined) this.logprobs = [];
    if (spec.promptLogprobs === true) {
      this.promptLogprobs = new Array<TokenLogprob | null>(spec.prompt.length).fill(null);
      if (spec.prompt.length > 0 && this.pendingCount === 0 && state.logits !== undefined) this.recordPrompt(-1, state.logits, 0, vocabSize);
    }
    this.criteria = [new MaxNewTokensCriterion(spec.maxTokens)];
    if (spec.stop.length > 0) this.criteria.push(new StopStringsCriterion(spec.stop, 1));
  }

  /** Ids still to run through the model. */
  get remaining(): number {
    return this.feed.length - this.cursor;
  }

  get sink(): StreamSink {
    return this.spec.sink;
  }

  /**
   * Fed position `position` of the prompt phase gave `logits[offset … offset + V)`, which predict
   * the id after it: if that id is a prompt character, its log-probability is recorded.
   */
  recordPrompt(position: number, logits: Float32Array, offset: number, V: number): void {
    if (this.promptLogprobs === undefined || this.count > 0) return;
    const next = position + 1;
    if (next < this.pendingCount || next >= this.feed.length) return;
    this.promptLogprobs[next - this.pendingCount] = tokenLogprob(logits, offset, V, this.feed[next], this.spec.logprobs ?? 0, this.decode);
  }

  /** Appends a sampled character; returns 'length' / 'stop' if that ends the stream. */
  accept(id: number, text: string): 'length' | 'stop' | null {
    if (this.logprobs !== undefined) {
      this.logprobs.push(tokenLogprob(this.logits, 0, this.logits.length, id, this.spec.logprobs!, this.decode));
      this.offsets.push(this.text.length);
    }
    this.count++;
    this.generated.push(id);
    this.text += text;
    this.feed = [id];
    this.cursor = 0;
    this.ready = false;
    for (const criterion of this.criteria) {
      const reason = criterion.check(0, text, this.count);
      if (reason === 'length' || reason === 'stop') return reason;
    }
    return null;
  }

  /**
   * The text not yet handed to the sink. While the stream runs, a tail that could be the start
   * of a stop string is held back (it would be cut if the stop string completes), so the
   * streamed text never holds more than the final text; `final` releases everything.
   */
  takeUnsent(final: boolean): { text: string; from: number; to: number } {
    const end = final || this.spec.includeStop === true ? this.text.length : this.text.length - this.partialStop();
    const from = this.sentTokens;
    if (end <= this.sent) return { text: '', from, to: from };
    const text = this.text.slice(this.sent, end);
    this.sent = end;
    while (this.sentTokens < this.offsets.length && this.offsets[this.sentTokens] < end) this.sentTokens++;
    return { text, from, to: this.sentTokens };
  }

  /** Cuts the stop string that ended the stream off the text (the longest, if several match). */
  cutStop(): void {
    if (this.spec.includeStop === true) return;
    const stop = this.spec.stop.filter((s) => this.text.endsWith(s)).reduce((a, b) => (b.length > a.length ? b : a), '');
    this.text = this.text.slice(0, this.text.length - stop.length);
    // The stop string's characters leave the log-probabilities too.
    while (this.offsets.length > 0 && this.offsets[this.offsets.length - 1] >= this.text.length) {
      this.offsets.pop();
      this.logprobs!.pop();
    }
  }

  /** Length of the longest tail of the text that is a proper prefix of a stop string. */
  private partialStop(): number {
    let longest = 0;
    for (const stop of this.spec.stop) {
      for (let k = Math.min(stop.length - 1, this.text.length); k > longest; k--) {
        if (this.text.endsWith(stop.slice(0, k))) {
          longest = k;
          break;
        }
      }
    }
    return longest;
  }

  /** The state to continue from: ids not yet run stay pending, fresh logits are kept. */
  finalState(): StreamState {
    return {
      h: this.h,
      c: this.c,
      pending: this.feed.slice(this.cursor),
      logits: this.ready ? this.logits.slice() : undefined,
    };
  }
}
