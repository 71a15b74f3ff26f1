/**
 * POST /v1/completions: OpenAI's completions API (the parameters in schemas.ts) over the model's
 * scheduler, answered as one JSON object or streamed as server-sent events. With `session`, the
 * request continues the state a previous request left, and leaves its own state there. `echo`
 * puts the prompt before the text, and with `logprobs` the prompt's characters' log-probabilities
 * too (null for the first character of a fresh text), which is how a text is scored.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { TokenLogprob } from '../scheduler/logprobs.js';
import type { ServerContext } from './context.js';
import { encodePrompt, GenerationJob, type FinishReason, type Usage } from './generation-job.js';
import { toSamplerSettings, type CompletionRequest } from './schemas.js';

export type { FinishReason, Usage } from './generation-job.js';

/** OpenAI's legacy logprobs object: one entry per character. */
export interface CompletionLogprobs {
  tokens: string[];
  /** null for a first prompt character, which nothing predicted. */
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  /** Where each character starts in the choice's text. */
  text_offset: number[];
}

export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: CompletionLogprobs | null;
  finish_reason: FinishReason;
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

function logprobsObject(entries: readonly (TokenLogprob | null)[], tokens: readonly string[], offset: number): CompletionLogprobs {
  const result: CompletionLogprobs = { tokens: [...tokens], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let at = offset;
  for (const [i, entry] of entries.entries()) {
    result.token_logprobs.push(entry?.logprob ?? null);
    result.top_logprobs.push(entry === null ? null : Object.fromEntries(entry.top.map((t) => [t.token, t.logprob])));
    result.text_offset.push(at);
    at += tokens[i].length;
  }
  return result;
}

export async function handleCompletion(ctx: ServerContext, body: CompletionRequest, reply: FastifyReply): Promise<CompletionResponse | undefined> {
  const model = ctx.models.get(body.model);
  const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
  const single = typeof body.prompt === 'string';
  const echo = body.echo === true;
  const logprobs = body.logprobs ?? undefined;
  const n = body.n ?? 1;
  const job = new GenerationJob(`cmpl-${randomUUID().replace(/-/g, '')}`, ctx, {
    model,
    prompts: prompts.map((p, i) => ({ ids: encodePrompt(model, p, single ? 'prompt' : `prompt[${i}]`), param: single ? 'prompt' : `prompt[${i}]` })),
    n,
    sampling: toSamplerSettings(body, ctx.options.defaults),
    logprobs,
    promptLogprobs: echo && logprobs !== undefined,
    session: body.session,
  });
  job.watch(reply);
  const promptOf = (index: number): string => prompts[Math.floor(index / n)];
  /** The prompt as the model read it, one entry per character, with its log-probabilities. */
  const promptLogprobs = (index: number): CompletionLogprobs => {
    const ids = job.request.prompts[Math.floor(index / n)].ids;
    return logprobsObject(job.streams[index].promptLogprobs!, ids.map((id) => model.tokenizer.decodeOne(id)), 0);
  };

  if (body.stream === true) {
    const session = job.session === undefined ? '' : `,"session":${JSON.stringify(job.session.id)}`;
    // Every chunk has the same envelope around its text: built once.
    const head = `{"id":"${job.id}","object":"text_completion","created":${job.created},"model":${JSON.stringify(model.name)}${session},"choices":[{"text":`;
    const offsets = new Array<number>(job.results.length).fill(0);
    const write = (index: number, text: string, entries: readonly TokenLogprob[] | undefined, finish: FinishReason | null): string => {
      let lp = 'null';
      if (logprobs !== undefined && finish === null) {
        lp = JSON.stringify(logprobsObject(entries ?? [], (entries ?? []).map((e) => e.token), offsets[index]));
      }
      offsets[index] += text.length;
      return `${head}${JSON.stringify(text)},"index":${index},"logprobs":${lp},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}`;
    };
    const lead = echo
      ? (index: number): string => {
          const text = promptOf(index);
          const lp = logprobs === undefined ? 'null' : JSON.stringify(promptLogprobs(index));
          offsets[index] += text.length;
          return `${head}${JSON.stringify(text)},"index":${index},"logprobs":${lp},"finish_reason":null}]}`;
        }
      : undefined;
    const usage =
      body.stream_options?.include_usage === true
        ? (u: Usage): string => JSON.stringify({ id: job.id, object: 'text_completion', created: job.created, model: model.name, choices: [], usage: u })
        : undefined;
    await job.stream(reply, write, usage, lead);
    return undefined;
  }

  const results = await job.collect();
  const response: CompletionResponse = {
    id: job.id,
    object: 'text_completion',
    created: job.created,
    model: model.name,
    choices: results.map((r, index) => {
      const prefix = echo ? promptOf(index) : '';
      let lp: CompletionLogprobs | null = null;
      if (logprobs !== undefined) {
        const generated = job.streams[index].logprobs!;
        const echoed = echo ? promptLogprobs(index) : undefined;
        const own = logprobsObject(generated, generated.map((e) => e.token), prefix.length);
        lp = echoed === undefined ? own : { tokens: [...echoed.tokens, ...own.tokens], token_logprobs: [...echoed.token_logprobs, ...own.token_logprobs], top_logprobs: [...echoed.top_logprobs, ...own.top_logprobs], text_offset: [...echoed.text_offset, ...own.text_offset] };
      }
      return { text: prefix + r.text, index, logprobs: lp, finish_reason: r.reason === 'stop' ? 'stop' : 'length' };
    }),
    usage: job.usage(),
  };
  if (job.session !== undefined) {
    response.session = job.session.id;
    void reply.header('x-charrnn-session', job.session.id);
  }
  return response;
}
