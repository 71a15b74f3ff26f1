/**
 * Continuous batching for one model: every live stream is stepped together as one [1, batch] run
 * per step, and streams join and leave between steps (Orca's iteration-level scheduling, Yu et
 * al., OSDI 2022, which vLLM and llama.cpp's server also do). Per iteration:
 *
 * 1. admit queued streams while there are free slots; end cancelled ones;
 * 2. every stream with fresh logits samples one character with its own Rng and sampler;
 * 3. one priming run, fused graphs only: every stream with two or more prompt ids left advances
 *    by up to `primeChars / streams` ids in one [k, streams] run, so a long prompt is primed in
 *    bounded chunks between steps instead of stalling everyone (a step graph has seq fixed to 1:
 *    its prompts ride in the decode run, one id per step);
 * 4. one decode run: every stream with exactly one id to feed (its last sample, or the last id of
 *    its prompt) is stepped in one [1, batch] run.
 *
 * A stream's text depends only on its own state, prompt and Rng: onnxruntime gives the same bits
 * for a row whatever the batch size or chunking (tested), so a request's text is the same alone or
 * among 63 others, and the same as infer-web's generate() with the same seed.
 */
import { yieldToEventLoop } from '@charrnn/contract';
import { checkLogits, hasState, interleaveRows, scatterRow, type ModelInfo, type RecurrentSession, type Tokenizer } from '@charrnn/infer-web/node';
import { TooManyRequestsError } from '../errors.js';
import { BatchState } from './batch-state.js';
import { LiveStream, type StreamEnd, type StreamResult, type StreamSpec } from './stream.js';

export interface SchedulerOptions {
  /** Streams stepped together at most; more wait in the queue. */
  maxStreams: number;
  /** Streams that may wait; beyond it submit() throws a 429. */
  maxQueue: number;
  /** Prompt ids per priming run, over all streams being primed (seq × streams ≤ this, seq ≥ 1). */
  primeChars: number;
  /**
   * Text is handed to sinks (and the event loop gets a turn) at most this often; with many
   * streams, every FLUSH_MS_PER_STREAM × streams ms.
   */
  flushIntervalMs: number;
}

/** What the scheduler reports, for metrics. */
export interface SchedulerObserver {
  /** One iteration (sampling, priming, the decode run) stepped `batch` streams in `seconds`. */
  step(batch: number, seconds: number): void;
  /** `chars` characters were generated. */
  generated(chars: number): void;
  /** A stream ended before its length or stop string: why. */
  cut(reason: CutReason): void;
  /** A stream got its slot after waiting `seconds` in the queue (0 if there was a free slot). */
  queued(seconds: number): void;
  /** A stream's first character came `seconds` after it was submitted (queue and prompt included). */
  firstToken(seconds: number): void;
  /** A stream of two or more characters ended: the mean time between its characters. */
  perToken(seconds: number): void;
}

/** An observer that records nothing. */
export const NO_OBSERVER: SchedulerObserver = {
  step: () => undefined,
  generated: () => undefined,
  cut: () => undefined,
  queued: () => undefined,
  firstToken: () => undefined,
  perToken: () => undefined,
};

/** Why a stream was cut short. */
export type CutReason = Exclude<StreamEnd, 'length' | 'stop'>;

/**
 * Each flush is one socket write per stream with new text (about 10-20 µs each with its SSE
 * envelope): at 64 streams a 4 ms interval would spend a quarter of a core on writes alone. The
 * interval is stretched to this many milliseconds per live stream, so writes stay a small share
 * of the work (64 streams: every 12.8 ms) while a single stream still gets its text every few ms.
 */
export const FLUSH_MS_PER_STREAM = 0.2;


export class Scheduler {
  private readonly queue: LiveStream[] = [];
  private readonly live: LiveStream[] = [];
  private readonly batch: BatchState<LiveStream>;
  private readonly bigIds: bigint[];
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastFlush = 0;
  /** Prime buffers by [seq × streams] size, reused so the adapter's tensor cache stays warm. */
  private readonly primeTokens = new Map<number, BigInt64Array>();

  constructor(
    private readonly session: RecurrentSession,
    readonly info: ModelInfo,
    private readonly tokenizer: Tokenizer,
    readonly options: SchedulerOptions,
    private readonly observer: SchedulerObserver = NO_OBSERVER,
  ) {
    this.batch = new BatchState(info.numLayers, info.hiddenSize, hasState(info.arch, 'c'));
    this.bigIds = info.vocab.map((_, i) => BigInt(i));
  }

  /** Streams being stepped (including paused ones). */
  get activeStreams(): number {
    return this.live.length;
  }

  /** Streams waiting for a slot. */
  get queuedStreams(): number {
    return Math.min(this.queue.length, Math.max(0, this.live.length + this.queue.length - this.options.maxStreams));
  }

  /**
   * Adds streams (all or none): to the batch if there are free slots, else to the queue. Throws
   * TooManyRequestsError when the queue cannot take them.
   */
  submit(specs: readonly StreamSpec[]): LiveStream[] {
    // Queued streams are admitted at the next iteration while there are free slots: only those
    // beyond maxStreams really wait.
    const waiting = this.live.length + this.queue.length + specs.length - this.options.maxStreams;
    if (waiting > this.options.maxQueue) {
      throw new TooManyRequestsError(
        `model busy: ${this.live.length} streams running and ${this.queuedStreams} queued (at most ${this.options.maxStreams} running and ${this.options.maxQueue} queued); retry later`,
        'queue_full',
        1,
      );
    }
    const decode = (id: number): string => this.tokenizer.decodeOne(id);
    const streams = specs.map((spec) => new LiveStream(spec, this.info.vocabSize, this.tokenizer.specialIds, decode));
    this.queue.push(...streams);
    this.kick();
    return streams;
  }

  /** Ends a stream early (client gone, timeout, shutdown). A queued stream ends at once, a live one between steps. */
  cancel(stream: LiveStream, reason: 'cancelled' | 'timeout' | 'drain'): void {
    if (stream.ended || stream.cancelled !== null) return;
    stream.cancelled = reason;
    const queued = this.queue.indexOf(stream);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.end(stream, reason);
      return;
    }
    this.kick();
  }

  /** Un-pauses a stream whose consumer drained (backpressure). */
  resume(stream: LiveStream): void {
    if (!stream.blocked) return;
    stream.blocked = false;
    this.kick();
  }

  /** Resolves when every stream has ended (after cancel() of all, at shutdown). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Cancels everything (with `reason`) and waits for the loop to stop. */
  async close(reason: 'cancelled' | 'drain' = 'cancelled'): Promise<void> {
    for (const stream of [...this.queue, ...this.live]) this.cancel(stream, reason);
    await this.idle();
  }

  private kick(): void {
    if (this.wake !== undefined) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
    if (this.running === undefined) {
      // Started from a microtask, so that submit() returns before any sink is called.
      this.running = Promise.resolve()
        .then(() => this.loop())
        .catch((error: unknown) => this.crash(error as Error))
        .finally(() => {
          this.running = undefined;
          // Work that arrived while the loop was finishing.
          if (this.queue.length > 0 || this.live.length > 0) this.kick();
        });
    }
  }

  private async loop(): Promise<void> {
    this.lastFlush = performance.now();
    while (this.live.length > 0 || this.queue.length > 0) {
      this.admit();
      this.reap();
      const t0 = performance.now();
      this.sample();
      const primed = await this.primeRun();
      const stepped = await this.decodeRun();
      const now = performance.now();
      if (stepped > 0) this.observer.step(stepped, (now - t0) / 1000);
      if (now - this.lastFlush >= Math.max(this.options.flushIntervalMs, this.live.length * FLUSH_MS_PER_STREAM)) {
        this.flush();
        this.lastFlush = now;
        await yieldToEventLoop();
      } else if (!primed && stepped === 0 && this.live.length > 0 && this.live.every((s) => s.blocked && s.cancelled === null)) {
        // Every stream waits for its reader: sleep until one drains, is cancelled, or work arrives.
        this.flush();
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
    this.flush();
  }

  private admit(): void {
    while (this.queue.length > 0 && this.live.length < this.options.maxStreams) {
      const stream = this.queue.shift()!;
      this.observer.queued((performance.now() - stream.submittedAt) / 1000);
      this.live.push(stream);
    }
  }

  /** Ends cancelled streams and frees their slots. */
  private reap(): void {
    for (let i = this.live.length - 1; i >= 0; i--) {
      const stream = this.live[i];
      if (stream.cancelled !== null) this.leave(i, stream.cancelled);
    }
  }

  private sample(): void {
    let chars = 0;
    for (let i = this.live.length - 1; i >= 0; i--) {
      const s = this.live[i];
      if (!s.ready || s.blocked) continue;
      if (s.spec.maxTokens === 0) {
        this.leave(i, 'length');
        continue;
      }
      try {
        checkLogits(s.logits, 0, s.logits.length, 1);
      } catch (error) {
        // A model (or an imported state) gone non-finite: sampling would give noise.
        s.error = error as Error;
        this.leave(i, 'error');
        continue;
      }
      const id = s.sampler.sample(s.logits, 0, s.rng, s.count, 0, s.generated);
      chars++;
      if (s.count === 0) {
        s.firstTokenAt = performance.now();
        this.observer.firstToken((s.firstTokenAt - s.submittedAt) / 1000);
      }
      const reason = s.accept(id, this.tokenizer.decodeOne(id));
      if (reason !== null) this.leave(i, reason);
    }
    if (chars > 0) this.observer.generated(chars);
  }

  /** Fused graphs: one [k, G] run over every stream with ≥ 2 prompt ids left. */
  private async primeRun(): Promise<boolean> {
    if (this.info.graph === 'step') return false;
    const group = this.live.filter((s) => s.remaining >= 2 && s.cancelled === null);
    if (group.length === 0) return false;
    const G = group.length;
    const { vocabSize: V, numLayers: L, hiddenSize: H } = this.info;
    const k = Math.min(Math.max(1, Math.floor(this.options.primeChars / G)), ...group.map((s) => s.remaining));
    let tokens = this.primeTokens.get(k * G);
    if (tokens === undefined) {
      tokens = new BigInt64Array(k * G);
      this.primeTokens.set(k * G, tokens);
    }
    for (let t = 0; t < k; t++) for (let g = 0; g < G; g++) tokens[t * G + g] = this.bigIds[group[g].feed[group[g].cursor + t]];
    const h = G === 1 ? group[0].h : interleaveRows(group.map((s) => s.h), L, H);
    const lstm = hasState(this.info.arch, 'c');
    const c = !lstm ? undefined : G === 1 ? group[0].c : interleaveRows(group.map((s) => s.c!), L, H);
    let out;
    try {
      out = await this.session.run(tokens, k, G, h, c);
    } catch (error) {
      this.fail(group, error as Error);
      return true;
    }
    group.forEach((s, g) => {
      if (s.promptLogprobs !== undefined) for (let t = 0; t < k; t++) s.recordPrompt(s.cursor + t, out.logits, (t * G + g) * V, V);
      scatterRow(out.hn, s.h, g, G, L, H);
      if (s.c !== undefined && out.cn !== undefined) scatterRow(out.cn, s.c, g, G, L, H);
      s.cursor += k;
      if (s.remaining === 0) {
        const row = (k - 1) * G + g;
        s.logits.set(out.logits.subarray(row * V, (row + 1) * V));
        s.ready = true;
      }
    });
    return true;
  }

  /**
   * One [1, B] run over every stream with exactly one id to feed (any number on a step graph).
   * Returns B.
   */
  private async decodeRun(): Promise<number> {
    const step = this.info.graph === 'step';
    const members = this.live.filter((s) => !s.blocked && s.cancelled === null && (step ? s.remaining >= 1 : s.remaining === 1));
    this.batch.setMembers(members);
    const B = members.length;
    if (B === 0) return 0;
    const V = this.info.vocabSize;
    const tokens = this.batch.tokens;
    for (let b = 0; b < B; b++) tokens[b] = this.bigIds[members[b].feed[members[b].cursor]];
    let out;
    try {
      out = await this.session.run(tokens, 1, B, this.batch.h, this.batch.c);
    } catch (error) {
      this.fail(members, error as Error);
      return B;
    }
    this.batch.update(out.hn, out.cn);
    for (let b = 0; b < B; b++) {
      const s = members[b];
      if (s.promptLogprobs !== undefined) s.recordPrompt(s.cursor, out.logits, b * V, V);
      s.cursor++;
      if (s.remaining === 0) {
        s.logits.set(out.logits.subarray(b * V, (b + 1) * V));
        s.ready = true;
      }
    }
    return B;
  }

  /** Hands each stream's new text to its sink; a sink that is full pauses its stream. */
  private flush(): void {
    for (const s of this.live) {
      const { text, from, to } = s.takeUnsent(false);
      if (text !== '' && !s.sink.push(text, from, to)) s.blocked = true;
    }
  }

  /**
   * A bug in the loop or a sink (never a client's input) must not take the process down, nor
   * leave streams hanging: every stream ends with 'error' and the batch starts empty.
   */
  private crash(error: Error): void {
    const streams = [...this.live, ...this.queue];
    this.live.length = 0;
    this.queue.length = 0;
    for (const s of streams) {
      this.batch.writeBack(s);
      s.error = error;
      try {
        this.end(s, 'error');
      } catch {
        // The sink is broken too; nothing more can be told to it.
      }
    }
    this.batch.setMembers([]);
  }

  private fail(streams: readonly LiveStream[], error: Error): void {
    for (const s of streams) {
      s.error = error;
      s.cancelled = 'error';
    }
    this.reap();
  }

  /** Removes live stream i: its state goes back to its row, its last text and result to its sink. */
  private leave(i: number, reason: StreamEnd): void {
    const s = this.live[i];
    this.live.splice(i, 1);
    this.batch.writeBack(s);
    this.end(s, reason);
  }

  private end(s: LiveStream, reason: StreamEnd): void {
    if (s.ended) return;
    s.ended = true;
    if (reason === 'stop') s.cutStop();
    else if (reason !== 'length') this.observer.cut(reason);
    if (s.count >= 2) this.observer.perToken((performance.now() - s.firstTokenAt) / 1000 / (s.count - 1));
    const rest = s.takeUnsent(true);
    if (rest.text !== '') s.sink.push(rest.text, rest.from, rest.to);
    const result: StreamResult = { text: s.text, tokens: s.count, reason, state: s.finalState(), rng: s.rng };
    if (s.error !== undefined) result.error = s.error;
    s.sink.end(result);
  }
}
