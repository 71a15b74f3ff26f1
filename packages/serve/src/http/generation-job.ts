/**
 * One request's streams on a model's scheduler, from submission to the last byte, shared by
 * /v1/completions and /v1/chat/completions: the prompts become streams (fresh, or continuing a
 * session), their text is collected or streamed as server-sent events in the endpoint's chunk
 * format, the request timeout and a client's disconnect cancel them, and a request cut short is
 * reported as an error, never as a complete answer.
 */
import type { FastifyReply } from 'fastify';
import { cloneStreamState, emptyStreamState, InvalidPromptError, NonFiniteOutputError, Rng, type StreamState } from '@charrnn/infer-web/node';
import { InvalidRequestError, RequestTimeoutError, ServeError, ServerClosingError } from '../errors.js';
import type { ServedModel } from '../model-registry.js';
import type { TokenLogprob } from '../scheduler/logprobs.js';
import type { LiveStream, StreamResult, StreamSink, StreamSpec } from '../scheduler/stream.js';
import type { Session } from '../sessions/session-store.js';
import type { ServerContext } from './context.js';
import type { RequestSampling } from './schemas.js';
import { SseWriter } from './sse.js';

/**
 * OpenAI's 'length' and 'stop'; 'abort' (vLLM's) ends a streamed choice that was cut short (timeout,
 * shutdown, model failure), followed by an error event that says why. A cut request that is not
 * streamed is an error response, never a 200.
 */
export type FinishReason = 'length' | 'stop' | 'abort';

/** nginx's status for "client closed request". */
export const CLIENT_CLOSED = 499;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** How an endpoint writes one streamed chunk of choice `index`. */
export type ChunkWriter = (index: number, text: string, logprobs: readonly TokenLogprob[] | undefined, finish: FinishReason | null) => string;

/** What the endpoint asks: the prompts (already as ids), choices per prompt, sampling, session. */
export interface JobRequest {
  model: ServedModel;
  /** Token ids of each prompt, and the request field that holds it (for error messages). */
  prompts: { ids: number[]; param: string }[];
  n: number;
  sampling: RequestSampling;
  /** Alternatives per character with logprobs; undefined = no logprobs. */
  logprobs: number | undefined;
  /** Log-probabilities of the prompt's characters too (echo). */
  promptLogprobs: boolean;
  /** A session id to continue, true to start one, undefined for none. */
  session: string | true | undefined;
}

export function encodePrompt(model: ServedModel, prompt: string, param: string): number[] {
  try {
    return model.tokenizer.encode(prompt);
  } catch (error) {
    if (error instanceof InvalidPromptError) throw new InvalidRequestError(error.message, param, 'invalid_prompt');
    throw error;
  }
}

export class GenerationJob {
  readonly created = Math.floor(Date.now() / 1000);
  readonly results: (StreamResult | undefined)[];
  streams: LiveStream[] = [];
  readonly session: Session | undefined;
  readonly promptTokens: number;
  private remaining: number;
  private timer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  private sse: SseWriter | undefined;
  private writeChunk: ChunkWriter | undefined;
  private lead: ((index: number) => string | undefined) | undefined;
  private led: boolean[] = [];

  /** Creates the streams and submits them (all or none; a 4xx/429/503 if they cannot run). */
  constructor(
    readonly id: string,
    private readonly ctx: ServerContext,
    readonly request: JobRequest,
  ) {
    const { model, prompts, n, sampling } = request;
    const choices = prompts.length * n;
    const { limits } = ctx.options;
    if (choices > limits.maxChoices) {
      throw new InvalidRequestError(`${prompts.length} prompts × n = ${n} asks for ${choices} choices; this server gives at most ${limits.maxChoices} per request`, 'n');
    }
    this.results = new Array<StreamResult | undefined>(choices).fill(undefined);
    this.remaining = choices;
    this.promptTokens = prompts.reduce((sum, p) => sum + p.ids.length, 0);
    if (request.session !== undefined) {
      if (choices !== 1) throw new InvalidRequestError('a session continues one text: send a single prompt string and n = 1', 'session', 'session_needs_one_choice');
      this.session =
        request.session === true
          ? ctx.sessions.create(model.name, emptyStreamState(model.info), Rng.fromSeed(Rng.randomSeed()), true)
          : ctx.sessions.acquire(request.session, model.name);
    }
    const session = this.session;
    try {
      const seed = sampling.seed ?? Rng.randomSeed();
      const specs: StreamSpec[] = [];
      for (const [p, prompt] of prompts.entries()) {
        for (let i = 0; i < n; i++) {
          const index = p * n + i;
          const state: StreamState = session !== undefined ? cloneStreamState(session.state) : emptyStreamState(model.info);
          if (prompt.ids.length === 0 && state.pending.length === 0 && state.logits === undefined) {
            throw new InvalidRequestError(
              session === undefined
                ? `${prompt.param} is empty: there is no text to continue; give at least one character (or continue a session)`
                : `${prompt.param} is empty and the session has no text yet; give at least one character`,
              prompt.param,
              'empty_prompt',
            );
          }
          // Without a seed a session continues its own random stream, as infer-web's generator does.
          const rng = session !== undefined && sampling.seed === undefined ? Rng.fromState(session.rng.state()) : Rng.fromSeed(seed, index);
          specs.push({
            prompt: prompt.ids,
            state,
            rng,
            sampling: sampling.sampling,
            maxTokens: sampling.maxTokens,
            stop: sampling.stop,
            includeStop: sampling.includeStop,
            logprobs: request.logprobs,
            promptLogprobs: request.promptLogprobs,
            sink: this.sink(index),
          });
        }
      }
      // The body may have arrived after the drain began.
      if (ctx.closing) throw new ServerClosingError();
      this.streams = model.scheduler.submit(specs);
    } catch (error) {
      if (session !== undefined) {
        ctx.sessions.release(session, session.state, session.rng, session.length);
        // A session this request created and could not use would only wait for its TTL.
        if (request.session === true) ctx.sessions.delete(session.id);
      }
      throw error;
    }
    this.timer = setTimeout(() => {
      for (const s of this.streams) model.scheduler.cancel(s, 'timeout');
    }, limits.requestTimeoutMs);
  }

  get model(): ServedModel {
    return this.request.model;
  }

  get finished(): boolean {
    return this.remaining === 0;
  }

  /** The client went away (the response closed before it finished): free the slots now. */
  watch(reply: FastifyReply): void {
    reply.raw.on('close', () => {
      if (!this.finished && !reply.raw.writableFinished) for (const s of this.streams) this.model.scheduler.cancel(s, 'cancelled');
    });
  }

  /**
   * Streams the choices as server-sent events, in the endpoint's chunk format; resolves when
   * done. `lead(index)`, if given, is a chunk sent before a choice's first text (once its prompt
   * has been read: the echo of completions, the assistant role of chat).
   */
  async stream(reply: FastifyReply, write: ChunkWriter, usageChunk: ((usage: Usage) => string) | undefined, lead?: (index: number) => string | undefined): Promise<void> {
    reply.hijack();
    const sse = new SseWriter(reply.raw);
    sse.open(this.session === undefined ? {} : { 'x-charrnn-session': this.session.id });
    this.sse = sse;
    this.writeChunk = write;
    this.lead = lead;
    await this.done;
    const failure = this.failure();
    if (failure !== undefined) sse.send(JSON.stringify(failure.toBody()));
    else if (usageChunk !== undefined) sse.send(usageChunk(this.usage()));
    sse.done();
  }

  /** Waits for every choice; throws the error that cut the request short, if one did. */
  async collect(): Promise<StreamResult[]> {
    await this.done;
    const failure = this.failure();
    if (failure !== undefined) throw failure;
    return this.results as StreamResult[];
  }

  usage(): Usage {
    const completion = this.results.reduce((sum, r) => sum + (r?.tokens ?? 0), 0);
    return { prompt_tokens: this.promptTokens, completion_tokens: completion, total_tokens: this.promptTokens + completion };
  }

  private sink(index: number): StreamSink {
    return {
      push: (text, from, to) => this.push(index, text, from, to),
      end: (result) => this.end(index, result),
    };
  }

  private leadFor(index: number): void {
    if (this.lead === undefined || this.led[index] === true) return;
    this.led[index] = true;
    const chunk = this.lead(index);
    if (chunk !== undefined) this.sse!.send(chunk);
  }

  private push(index: number, text: string, from: number, to: number): boolean {
    if (this.sse === undefined) return true;
    this.leadFor(index);
    const stream = this.streams[index];
    if (this.sse.send(this.writeChunk!(index, text, stream?.logprobs?.slice(from, to), null))) return true;
    this.sse.onDrain(() => this.model.scheduler.resume(stream));
    return false;
  }

  private end(index: number, result: StreamResult): void {
    this.results[index] = result;
    this.remaining--;
    const completed = result.reason === 'length' || result.reason === 'stop';
    if (this.session !== undefined) {
      // All or nothing: only a request that completed moves its session on, so one cut short
      // (disconnect, timeout, shutdown, error) can be retried from where the session was.
      const read = this.request.prompts[0].ids.length;
      if (completed) this.ctx.sessions.release(this.session, result.state, result.rng, this.session.length + read + result.tokens);
      else this.ctx.sessions.release(this.session, this.session.state, this.session.rng, this.session.length);
    }
    if (this.sse !== undefined) {
      if (completed) this.leadFor(index);
      this.sse.send(this.writeChunk!(index, '', undefined, completed ? (result.reason as FinishReason) : 'abort'));
    }
    if (this.remaining === 0) {
      clearTimeout(this.timer);
      this.resolveDone();
    }
  }

  /** Why the job failed, if it did: a timeout, the end of a drain, or a model run that threw. */
  private failure(): ServeError | undefined {
    if (this.results.some((r) => r?.reason === 'timeout')) return new RequestTimeoutError(this.ctx.options.limits.requestTimeoutMs);
    // Cancelled while the server runs: the client went away and reads nothing (a 499 in the metrics,
    // not a server error in the log); while it closes: cut by the shutdown.
    if (this.results.some((r) => r?.reason === 'cancelled') && !this.ctx.closing) {
      return new ServeError(CLIENT_CLOSED, 'the client closed the connection before the response', 'invalid_request_error', 'client_closed');
    }
    if (this.results.some((r) => r?.reason === 'drain' || r?.reason === 'cancelled')) {
      return new ServerClosingError(`the server shut down before this request finished (it gives running requests ${this.ctx.options.drainSeconds} s); retry it on another instance`);
    }
    const broken = this.results.find((r) => r?.reason === 'error');
    if (broken?.error instanceof NonFiniteOutputError) return new ServeError(500, broken.error.message, 'server_error', 'non_finite_logits');
    if (broken !== undefined) {
      this.ctx.options.logger.warn(`@charrnn/serve: generation failed: ${broken.error?.stack ?? broken.error?.message}`);
      return new ServeError(500, 'the model failed while generating; see the server log', 'server_error', 'generation_failed');
    }
    return undefined;
  }
}
