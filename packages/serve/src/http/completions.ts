/**
 * POST /v1/completions: OpenAI's completions API (the subset in schemas.ts) over the model's
 * scheduler, answered as one JSON object or streamed as server-sent events. With `session`, the
 * request continues the state a previous request left, and leaves its own state there.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { emptyStreamState, cloneStreamState, InvalidPromptError, NonFiniteOutputError, Rng, type StreamState } from '@charrnn/infer-web/node';
import { InvalidRequestError, RequestTimeoutError, ServeError, ServerClosingError } from '../errors.js';
import type { ServedModel } from '../model-registry.js';
import type { LiveStream, StreamResult, StreamSink, StreamSpec } from '../scheduler/stream.js';
import type { Session } from '../sessions/session-store.js';
import type { ServerContext } from './context.js';
import { toSamplerSettings, type CompletionRequest } from './schemas.js';
import { SseWriter } from './sse.js';

/**
 * OpenAI's 'length' and 'stop'; 'abort' (vLLM's) ends a streamed choice that was cut short (timeout,
 * shutdown, model failure), followed by an error event that says why. A cut request that is not
 * streamed is an error response, never a 200.
 */
export type FinishReason = 'length' | 'stop' | 'abort';

export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: null;
  finish_reason: FinishReason;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The non-streaming response; `session` is this server's extension. */
export interface CompletionResponse {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage: Usage;
  session?: string;
}

/** One request's streams, from submission to the last byte. */
class CompletionJob {
  readonly id = `cmpl-${randomUUID().replace(/-/g, '')}`;
  readonly created = Math.floor(Date.now() / 1000);
  readonly results: (StreamResult | undefined)[];
  streams: LiveStream[] = [];
  private remaining: number;
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  private sse: SseWriter | undefined;
  private chunkHead = '';
  private chunkTail = '';

  constructor(
    readonly model: ServedModel,
    readonly choices: number,
    readonly session: Session | undefined,
    private readonly ctx: ServerContext,
    /** Characters of prompt this request feeds its session. */
    private readonly sessionPromptChars = 0,
  ) {
    this.results = new Array<StreamResult | undefined>(choices).fill(undefined);
    this.remaining = choices;
  }

  get finished(): boolean {
    return this.remaining === 0;
  }

  /** Streams its chunks to `sse` instead of collecting them. */
  streamTo(sse: SseWriter): void {
    this.sse = sse;
    // Every chunk has the same envelope around its text: build it once.
    const session = this.session === undefined ? '' : `,"session":${JSON.stringify(this.session.id)}`;
    this.chunkHead = `{"id":"${this.id}","object":"text_completion","created":${this.created},"model":${JSON.stringify(this.model.name)}${session},"choices":[{"text":`;
    this.chunkTail = ',"logprobs":null,"finish_reason":';
  }

  sink(index: number): StreamSink {
    return {
      push: (text) => this.push(index, text),
      end: (result) => this.end(index, result),
    };
  }

  startTimer(ms: number): void {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      for (const s of this.streams) this.model.scheduler.cancel(s, 'timeout');
    }, ms);
  }

  /** The client went away: free the slots now. */
  abandon(): void {
    for (const s of this.streams) this.model.scheduler.cancel(s, 'cancelled');
  }

  private chunk(index: number, text: string, finish: FinishReason | null): string {
    return `${this.chunkHead}${JSON.stringify(text)},"index":${index}${this.chunkTail}${finish === null ? 'null' : `"${finish}"`}}]}`;
  }

  private push(index: number, text: string): boolean {
    if (this.sse === undefined) return true;
    if (this.sse.send(this.chunk(index, text, null))) return true;
    const stream = this.streams[index];
    this.sse.onDrain(() => this.model.scheduler.resume(stream));
    return false;
  }

  private end(index: number, result: StreamResult): void {
    this.results[index] = result;
    this.remaining--;
    if (this.session !== undefined) {
      // All or nothing: only a request that completed moves its session on, so one cut short
      // (disconnect, timeout, shutdown, error) can be retried from where the session was.
      const completed = result.reason === 'length' || result.reason === 'stop';
      if (completed) this.ctx.sessions.release(this.session, result.state, result.rng, this.session.length + this.sessionPromptChars + result.tokens);
      else this.ctx.sessions.release(this.session, this.session.state, this.session.rng, this.session.length);
    }
    if (this.sse !== undefined) this.sse.send(this.chunk(index, '', result.reason === 'length' || result.reason === 'stop' ? result.reason : 'abort'));
    if (this.remaining === 0) {
      clearTimeout(this.timer);
      this.resolveDone();
    }
  }

  usage(promptTokens: number): Usage {
    const completion = this.results.reduce((sum, r) => sum + (r?.tokens ?? 0), 0);
    return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
  }

  /** Why the job failed, if it did: a timeout, the end of a drain, or a model run that threw. */
  failure(): ServeError | undefined {
    if (this.results.some((r) => r?.reason === 'timeout')) return new RequestTimeoutError(this.ctx.options.limits.requestTimeoutMs);
    // 'cancelled' reaches a client only when the server closed without a drain.
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

function encodePrompt(model: ServedModel, prompt: string, param: string): number[] {
  try {
    return model.tokenizer.encode(prompt);
  } catch (error) {
    if (error instanceof InvalidPromptError) throw new InvalidRequestError(error.message, param, 'invalid_prompt');
    throw error;
  }
}

export async function handleCompletion(ctx: ServerContext, body: CompletionRequest, request: FastifyRequest, reply: FastifyReply): Promise<CompletionResponse | undefined> {
  const { limits } = ctx.options;
  const model = ctx.models.get(body.model);
  const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
  const n = body.n ?? 1;
  const choices = prompts.length * n;
  if (choices > limits.maxChoices) {
    throw new InvalidRequestError(`${prompts.length} prompts × n = ${n} asks for ${choices} choices; this server gives at most ${limits.maxChoices} per request`, 'n');
  }
  const promptIds = prompts.map((p, i) => encodePrompt(model, p, prompts.length === 1 && typeof body.prompt === 'string' ? 'prompt' : `prompt[${i}]`));
  const { maxTokens, sampling, stop, includeStop, seed: askedSeed } = toSamplerSettings(body, ctx.options.defaults);

  let session: Session | undefined;
  if (body.session !== undefined) {
    if (choices !== 1) throw new InvalidRequestError('a session continues one text: send a single prompt string and n = 1', 'session', 'session_needs_one_choice');
    session =
      body.session === true
        ? ctx.sessions.create(model.name, emptyStreamState(model.info), Rng.fromSeed(Rng.randomSeed()), true)
        : ctx.sessions.acquire(body.session, model.name);
  }

  const job = new CompletionJob(model, choices, session, ctx, promptIds[0].length);
  try {
    const seed = askedSeed ?? Rng.randomSeed();
    const specs: StreamSpec[] = [];
    for (let p = 0; p < prompts.length; p++) {
      for (let i = 0; i < n; i++) {
        const index = p * n + i;
        const state: StreamState = session !== undefined ? cloneStreamState(session.state) : emptyStreamState(model.info);
        if (promptIds[p].length === 0 && state.pending.length === 0 && state.logits === undefined) {
          throw new InvalidRequestError(
            session === undefined
              ? 'prompt is empty: there is no text to continue; give at least one character (or continue a session)'
              : 'prompt is empty and the session has no text yet; give at least one character',
            prompts.length === 1 && typeof body.prompt === 'string' ? 'prompt' : `prompt[${p}]`,
            'empty_prompt',
          );
        }
        // Without a seed a session continues its own random stream, as infer-web's generator does.
        const rng = session !== undefined && askedSeed === undefined ? Rng.fromState(session.rng.state()) : Rng.fromSeed(seed, index);
        specs.push({ prompt: promptIds[p], state, rng, sampling, maxTokens, stop, includeStop, sink: job.sink(index) });
      }
    }
    // The body may have arrived after the drain began.
    if (ctx.closing) throw new ServerClosingError();
    job.streams = model.scheduler.submit(specs);
  } catch (error) {
    if (session !== undefined) {
      ctx.sessions.release(session, session.state, session.rng, session.length);
      // A session this request created and could not use would only wait for its TTL.
      if (body.session === true) ctx.sessions.delete(session.id);
    }
    throw error;
  }
  job.startTimer(limits.requestTimeoutMs);
  // 'close' on the response before it finished: the client went away.
  reply.raw.on('close', () => {
    if (!job.finished && !reply.raw.writableFinished) job.abandon();
  });
  const promptTokens = promptIds.reduce((sum, ids) => sum + ids.length, 0);

  if (body.stream === true) {
    reply.hijack();
    const sse = new SseWriter(reply.raw);
    sse.open(session === undefined ? {} : { 'x-charrnn-session': session.id });
    job.streamTo(sse);
    await job.done;
    const failure = job.failure();
    if (failure !== undefined) sse.send(JSON.stringify(failure.toBody()));
    else if (body.stream_options?.include_usage === true) {
      const usage = job.usage(promptTokens);
      sse.send(JSON.stringify({ id: job.id, object: 'text_completion', created: job.created, model: model.name, choices: [], usage }));
    }
    // Fastify's onResponse hook counts this response too (on the raw 'finish').
    sse.done();
    return undefined;
  }

  await job.done;
  const failure = job.failure();
  if (failure !== undefined) throw failure;
  const response: CompletionResponse = {
    id: job.id,
    object: 'text_completion',
    created: job.created,
    model: model.name,
    choices: job.results.map((r, index) => ({
      text: r?.text ?? '',
      index,
      logprobs: null,
      finish_reason: r?.reason === 'stop' ? 'stop' : 'length',
    })),
    usage: job.usage(promptTokens),
  };
  if (session !== undefined) {
    response.session = session.id;
    void reply.header('x-charrnn-session', session.id);
  }
  return response;
}
