/**
 * CharGenerator: stateful text generation over a RecurrentSession. The prompt is primed in runs
 * of up to PRIME_CHUNK_CHARS characters on the fused graph (priming.ts); each new character is
 * one run carrying hn → h0.
 * The state (hidden state, ids not yet fed, Rng) persists between calls, so a second generate()
 * continues where the first stopped, as the lesson's stateful model does.
 */
import { readModelDescription, validateContract, type ModelInfo } from '@charrnn/contract';
import { InvalidOptionError, InvalidPromptError, InvalidStateError, ModelFormatError, NonFiniteOutputError } from './errors.js';
import { EventLoopTurns } from './event-loop.js';
import { textInsteadOfModel } from './model-bytes.js';
import { interleaveRows, primeRows } from './priming.js';
import { resolveGenerationOptions, type GenerationOptions, type ResolvedGenerationOptions } from './options.js';
import { Rng } from './rng.js';
import { Sampler } from './sampler.js';
import type { Logger, RecurrentSession, Runtime } from './session.js';
import { bytesOf, DEFAULT_IDLE_TIMEOUT_MS, type ModelSource, type ProgressCallback } from './source.js';
import {
  cloneStreamState,
  emptyStreamState,
  fromSnapshot,
  toSnapshot,
  type FloatEncoding,
  type GeneratorSnapshot,
  type StreamState,
} from './state.js';
import { AbortCriterion, stoppingCriteria, type StoppingCriterion } from './stopping.js';
import { GenerationStream, type FinishReason, type GenerationResult } from './streamer.js';
import { Tokenizer } from './tokenizer.js';

export interface LoadOptions {
  /** How to read and run the model; the entry points (`@charrnn/infer-web`, `/node`) supply one. */
  runtime?: Runtime;
  /** Seeds the generator's own random stream (calls without `seed`). Default: random. */
  seed?: number;
  /** Called as the model downloads (URL sources). */
  onProgress?: ProgressCallback;
  /** A download (URL source) that receives nothing for this long fails, naming the URL. Default 30 000 ms. */
  idleTimeoutMs?: number;
  /** Where backend fallbacks are reported. Default: console. */
  logger?: Logger;
}

/**
 * Decoding gives the event loop a turn this often. A step's run may resolve without one (Node's
 * native binding runs synchronously; onnxruntime-web's wasm run can resolve through microtasks
 * only), and then timers, I/O, a page's input and an AbortSignal fired from them would wait for
 * the whole generation.
 */
const DECODE_TURN_EVERY_MS = 4;

/** A session shared by a generator and its forks; released when the last one is. */
interface SharedSession {
  session: RecurrentSession;
  refs: number;
}

export class CharGenerator {
  readonly tokenizer: Tokenizer;
  private stream: StreamState;
  private rng: Rng;
  private queue: Promise<void> = Promise.resolve();
  private running = 0;
  private released = false;
  /** BigInt of every id, so that writing a token into the int64 buffer allocates nothing. */
  private readonly bigIds: bigint[];

  /** Wraps an open session; `load()` is the usual way in. */
  constructor(
    private readonly shared: SharedSession | RecurrentSession,
    readonly info: ModelInfo,
    options: Pick<LoadOptions, 'seed'> = {},
  ) {
    if ('run' in shared) this.shared = { session: shared, refs: 1 };
    checkSeed(options.seed);
    this.tokenizer = new Tokenizer(info.vocab, info.lower, info.text);
    this.stream = emptyStreamState(info);
    this.rng = Rng.fromSeed(options.seed ?? Rng.randomSeed());
    this.bigIds = info.vocab.map((_, i) => BigInt(i));
  }

  /**
   * Loads a model from a URL, a path (Node entry), or bytes, checks it against the ONNX contract
   * and opens a session with `options.runtime`.
   */
  static async load(source: ModelSource, options: LoadOptions = {}): Promise<CharGenerator> {
    const runtime = options.runtime;
    if (runtime === undefined) {
      throw new InvalidOptionError(
        "no runtime: import CharGenerator from '@charrnn/infer-web' (browsers) or '@charrnn/infer-web/node', or pass options.runtime",
      );
    }
    checkSeed(options.seed);
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (!(typeof idleTimeoutMs === 'number' && idleTimeoutMs > 0 && Number.isFinite(idleTimeoutMs))) {
      throw new InvalidOptionError(`option idleTimeoutMs is ${String(idleTimeoutMs)}; expected a positive number of milliseconds`);
    }
    const bytes = bytesOf(source) ?? (await runtime.readModel(source as string | URL, options.onProgress, { idleTimeoutMs }));
    const text = textInsteadOfModel(bytes);
    if (text !== undefined) {
      const name = typeof source === 'string' || source instanceof URL ? `model ${String(source)} starts` : 'model bytes start';
      throw new ModelFormatError(`${name} with ${text.start}: not an ONNX file${text.hint}`);
    }
    const info = validateContract(readModelDescription(bytes));
    const session = await runtime.createSession(bytes, info);
    return new this({ session, refs: 1 }, info, options);
  }

  private get session(): RecurrentSession {
    return (this.shared as SharedSession).session;
  }

  /** The execution provider in use. */
  get backend(): string {
    return this.session.backend;
  }

  /**
   * Generates text after `prompt` (continuing the current state; '' continues without new
   * input). Iterate for chunks as they come, or await for the whole text.
   */
  generate(prompt = '', options: GenerationOptions = {}): GenerationStream<string, GenerationResult, string> {
    this.assertOpen();
    const opts = resolveGenerationOptions(options);
    const ids = this.encodePrompt(prompt, 'prompt');
    return new GenerationStream(
      (report, keepText) => this.produceSingle(ids, opts, report, keepText),
      (result) => result.text,
    );
  }

  /**
   * Several independent streams in one batch dimension: each starts from a copy of the current
   * state, primes its own prompt, and samples with Rng stream i of the seed (so row 0 equals
   * generate() with the same seed). The generator's own state is left unchanged.
   */
  generateBatch(prompts: readonly string[], options: GenerationOptions = {}): GenerationStream<string[], GenerationResult[], string[]> {
    // A prompt that is not a string is named by encodePrompt below (prompts[i]).
    if (!Array.isArray(prompts) || prompts.length === 0) {
      throw new InvalidPromptError('generateBatch needs a non-empty array of prompt strings');
    }
    this.assertOpen();
    const opts = resolveGenerationOptions(options);
    const ids = prompts.map((p, i) => this.encodePrompt(p, `prompts[${i}]`));
    return new GenerationStream(
      (report, keepText) => this.produceBatch(ids, opts, report, keepText),
      (results) => results.map((r) => r.text),
    );
  }

  /** Forgets all text: zero hidden state, nothing pending. The random stream continues. */
  reset(): void {
    this.assertIdle('reset');
    this.stream = emptyStreamState(this.info);
  }

  /** A serialisable snapshot of the state (taken between generations). */
  getState(options: { encoding?: FloatEncoding } = {}): GeneratorSnapshot {
    return toSnapshot(this.info, this.stream, this.rng.state(), options.encoding ?? 'base64');
  }

  /** Restores a snapshot from getState() (this or another runtime, same model shape). */
  setState(snapshot: GeneratorSnapshot): void {
    this.assertIdle('setState');
    const { stream, rng } = fromSnapshot(this.info, snapshot);
    this.stream = stream;
    this.rng = Rng.fromState(rng);
  }

  /** A generator with a copy of this one's state, sharing the session: for branching continuations. */
  fork(): CharGenerator {
    this.assertOpen();
    const shared = this.shared as SharedSession;
    shared.refs++;
    const Ctor = this.constructor as new (s: SharedSession, i: ModelInfo) => CharGenerator;
    const child = new Ctor(shared, this.info);
    child.stream = cloneStreamState(this.stream);
    child.rng = Rng.fromState(this.rng.state());
    return child;
  }

  /** Releases the session once this generator and all its forks are released. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const shared = this.shared as SharedSession;
    shared.refs--;
    if (shared.refs === 0) await shared.session.release();
  }

  private encodePrompt(prompt: unknown, name: string): Int32Array {
    if (typeof prompt !== 'string') throw new InvalidPromptError(`${name} is ${typeof prompt}; expected a string`);
    return this.tokenizer.encodeIds(prompt);
  }

  private assertOpen(): void {
    if (this.released) throw new InvalidStateError('this CharGenerator was released; load the model again');
  }

  private assertIdle(what: string): void {
    this.assertOpen();
    if (this.running > 0) {
      throw new InvalidStateError(`cannot ${what} while a generation is running; abort it (options.signal) and await it first`);
    }
  }

  /** Serialises generations on this generator: each one starts from the state the last one left. */
  private async acquire(): Promise<() => void> {
    this.assertOpen();
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.running++;
    return () => {
      this.running--;
      release();
    };
  }

  private async *produceSingle(
    ids: Int32Array,
    opts: ResolvedGenerationOptions,
    report: (r: GenerationResult) => void,
    keepText: boolean,
  ): AsyncGenerator<string, void> {
    const unlock = await this.acquire();
    const rows = [cloneStreamState(this.stream)];
    const rng = opts.seed === undefined ? this.rng : Rng.fromSeed(opts.seed, 0);
    const results: GenerationResult[] = [];
    let failed = false;
    try {
      yield* this.decode(rows, [ids], [rng], opts, results, keepText, (chunk) => chunk[0]);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      this.stream = rows[0];
      unlock();
      opts.streamer?.end();
      if (!failed) report(results[0]);
    }
  }

  private async *produceBatch(
    ids: Int32Array[],
    opts: ResolvedGenerationOptions,
    report: (r: GenerationResult[]) => void,
    keepText: boolean,
  ): AsyncGenerator<string[], void> {
    const unlock = await this.acquire();
    const rows = ids.map(() => cloneStreamState(this.stream));
    const seed = opts.seed ?? (opts.temperature === 0 ? 0 : this.rng.nextUint32());
    const rngs = ids.map((_, i) => Rng.fromSeed(seed, i));
    const results: GenerationResult[] = [];
    let failed = false;
    try {
      yield* this.decode(rows, ids, rngs, opts, results, keepText, (chunk) => [...chunk]);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      unlock();
      opts.streamer?.end();
      if (!failed) report(results);
    }
  }

  /**
   * The decoding loop for B rows. Per row, either the last sampled id is not yet fed (`fed` false)
   * or the logits are current. A single row (generate) is the generator's own stream: when it ends
   * (or the loop is left early) its state is written back in that form, so that the next call
   * continues exactly. The rows of a batch are copies that generateBatch discards, so their states
   * are not written back.
   */
  private async *decode<Chunk>(
    rows: StreamState[],
    prompts: readonly Int32Array[],
    rngs: Rng[],
    opts: ResolvedGenerationOptions,
    results: GenerationResult[],
    keepText: boolean,
    emit: (chunk: readonly string[]) => Chunk,
  ): AsyncGenerator<Chunk, void> {
    const flight = new RowsInFlight(rows, results, this.info.vocabSize);
    let primed = false;
    try {
      const abort = opts.signal === undefined ? undefined : new AbortCriterion(opts.signal);
      const state = await this.primeForDecoding(flight, prompts, abort, opts.signal);
      if (state === null) return;
      primed = true;
      if (opts.maxNewTokens === 0) {
        flight.finishAll('length');
        return;
      }
      yield* this.sampleRows(flight, state, rngs, opts, abort, keepText, emit);
    } finally {
      // Left early (the consumer stopped iterating, or a run failed): keep what was produced. A
      // failure while priming leaves each row as primeRows() left it, which is consistent.
      if (primed) flight.finishAll('abort');
    }
  }

  /**
   * Primes every row with its prompt and loads their logits; the state the loop feeds (the one
   * row's own arrays, or the rows interleaved), or null when aborted before or while priming.
   */
  private async primeForDecoding(
    flight: RowsInFlight,
    prompts: readonly Int32Array[],
    abort: AbortCriterion | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ h: Float32Array; c: Float32Array | undefined } | null> {
    const { rows, results, logits, B } = flight;
    const { vocabSize: V, numLayers: L, hiddenSize: H } = this.info;
    let h = rows[0].h;
    let c = rows[0].c;
    if (abort?.check() === 'abort') {
      // Aborted before the start: nothing primed, and the prompt is kept pending, as an abort
      // while priming keeps the part not yet run: the next call continues from it.
      for (let b = 0; b < B; b++) {
        results[b] = { text: '', newTokens: 0, finishReason: 'abort' };
        if (prompts[b].length > 0) {
          rows[b].pending = [...rows[b].pending, ...prompts[b]];
          rows[b].logits = undefined;
        }
      }
      flight.done.fill('abort');
      return null;
    }
    if (!(await primeRows({ session: this.session, info: this.info, bigIds: this.bigIds }, rows, prompts, signal))) {
      // Aborted while priming: each row keeps what was primed and the rest as pending.
      for (let b = 0; b < B; b++) results[b] = { text: '', newTokens: 0, finishReason: 'abort' };
      flight.done.fill('abort');
      return null;
    }
    if (B > 1) {
      h = interleaveRows(rows.map((r) => r.h), L, H);
      c = rows[0].c === undefined ? undefined : interleaveRows(rows.map((r) => r.c!), L, H);
    }
    for (let b = 0; b < B; b++) {
      logits.set(rows[b].logits!, b * V);
      checkLogits(logits, b, V, B);
    }
    return { h, c };
  }

  /** Samples, stops and feeds the primed rows until every row has finished; yields each step's chunk. */
  private async *sampleRows<Chunk>(
    flight: RowsInFlight,
    state: { h: Float32Array; c: Float32Array | undefined },
    rngs: Rng[],
    opts: ResolvedGenerationOptions,
    abort: AbortCriterion | undefined,
    keepText: boolean,
    emit: (chunk: readonly string[]) => Chunk,
  ): AsyncGenerator<Chunk, void> {
    const { B, done, last, counts, texts, logits } = flight;
    const { h, c } = state;
    const V = this.info.vocabSize;
    const sampler = new Sampler(V, {
      ...opts,
      suppressTokens: opts.suppressSpecialTokens ? this.tokenizer.specialIds : [],
    });
    const criteria: StoppingCriterion[] = stoppingCriteria(opts.maxNewTokens, opts.stop, B);
    const tokens = new BigInt64Array(B);
    // Each row's generated ids, which the penalties read.
    const generated = Array.from({ length: B }, () => [] as number[]);
    let active = B;
    const chunk = new Array<string>(B).fill('');
    const turns = new EventLoopTurns(DECODE_TURN_EVERY_MS);
    for (let step = 0; ; step++) {
      await turns.whenDue();
      if (abort?.check() === 'abort') {
        flight.finishAll('abort');
        return;
      }
      for (let b = 0; b < B; b++) {
        if (done[b] !== null) {
          chunk[b] = '';
          continue;
        }
        const id = sampler.sample(logits, b * V, rngs[b], step, b, generated[b]);
        generated[b].push(id);
        last[b] = id;
        counts[b]++;
        const text = this.tokenizer.decodeOne(id);
        // Only for a caller that awaits the whole text: an iterated stream already has it, chunk by chunk.
        if (keepText) texts[b] += text;
        chunk[b] = text;
      }
      flight.fed = false;
      for (let b = 0; b < B; b++) {
        if (done[b] !== null) continue;
        for (const criterion of criteria) {
          const reason = criterion.check(b, chunk[b], counts[b]);
          if (reason !== null) {
            flight.finish(b, reason);
            active--;
            break;
          }
        }
      }
      if (opts.streamer !== undefined) for (let b = 0; b < B; b++) if (chunk[b] !== '') opts.streamer.put(chunk[b], b);
      yield emit(chunk);
      if (active === 0) return;
      for (let b = 0; b < B; b++) tokens[b] = this.bigIds[last[b]];
      const out = await this.session.run(tokens, 1, B, h, c);
      h.set(out.hn);
      if (c !== undefined && out.cn !== undefined) c.set(out.cn);
      logits.set(out.logits);
      flight.fed = true;
      for (let b = 0; b < B; b++) if (done[b] === null) checkLogits(logits, b, V, B);
    }
  }
}

/**
 * The B rows of one decoding loop: what each produced, and how a row ends. Per row, either the
 * last sampled id is not yet fed (`fed` false) or the logits are current.
 */
class RowsInFlight {
  readonly B: number;
  readonly texts: string[];
  readonly counts: Int32Array;
  readonly last: Int32Array;
  readonly done: (FinishReason | null)[];
  fed = true;
  readonly logits: Float32Array;

  constructor(
    readonly rows: StreamState[],
    readonly results: GenerationResult[],
    V: number,
  ) {
    const B = (this.B = rows.length);
    this.texts = new Array<string>(B).fill('');
    this.counts = new Int32Array(B);
    this.last = new Int32Array(B);
    this.done = new Array<FinishReason | null>(B).fill(null);
    this.logits = new Float32Array(B * V);
  }

  finish(b: number, reason: FinishReason): void {
    this.done[b] = reason;
    this.results[b] = { text: this.texts[b], newTokens: this.counts[b], finishReason: reason };
    if (this.B > 1) return;
    // One row: h and c are its own arrays (nothing interleaved), already up to date.
    const row = this.rows[0];
    if (this.fed) {
      row.pending = [];
      // This call's own buffer (one row: V logits), which nothing writes once the row has ended.
      row.logits = this.logits;
    } else {
      row.pending = [this.last[0]];
      row.logits = undefined;
    }
  }

  finishAll(reason: FinishReason): void {
    for (let b = 0; b < this.B; b++) if (this.done[b] === null) this.finish(b, reason);
  }
}

function checkSeed(seed: number | undefined): void {
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) {
    throw new InvalidOptionError(`option seed is ${String(seed)}; expected a non-negative safe integer`);
  }
}

/**
 * Sampling from NaN logits gives noise at temperature 1 and one fixed character at 0, so a model
 * (or state) that has gone non-finite stops generation with an error instead.
 */
export function checkLogits(logits: Float32Array, b: number, V: number, B: number): void {
  let bad = 0;
  for (let i = b * V; i < (b + 1) * V; i++) if (!Number.isFinite(logits[i])) bad++;
  if (bad === 0) return;
  const counts = new Map<string, number>();
  for (let i = b * V; i < (b + 1) * V; i++) if (!Number.isFinite(logits[i])) counts.set(String(logits[i]), (counts.get(String(logits[i])) ?? 0) + 1);
  const kinds = [...counts].map(([kind, n]) => `${kind} ×${n}`).join(', ');
  throw new NonFiniteOutputError(
    `the model produced non-finite logits for the next character${B > 1 ? ` of row ${b}` : ''} (${kinds} of ${V}); ` +
      'its weights or its state hold NaN or ±Inf: reset() or setState() a good state, or re-export the model',
  );
}
