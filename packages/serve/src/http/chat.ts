/**
 * POST /v1/chat/completions: OpenAI's chat API over the same streams as /v1/completions. A
 * character model has no chat format of its own, so the messages are joined into one prompt by a
 * template (ChatTemplate: each message as `message` with {role} and {content} filled in, then
 * `generation`, where the model's reply starts), and the template's stop strings end the reply
 * where the next turn would begin. The default writes a plain transcript:
 *
 *     user: what is truth?
 *     assistant: <the model continues here, until a newline>
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { InvalidRequestError } from '../errors.js';
import { ServerOptionError } from '../errors.js';
import type { TokenLogprob } from '../scheduler/logprobs.js';
import type { ServerContext } from './context.js';
import { encodePrompt, GenerationJob, type FinishReason, type Usage } from './generation-job.js';
import { toSamplerSettings, type ChatRequest } from './schemas.js';

export interface ChatTemplate {
  /** One message; `{role}` and `{content}` are replaced. */
  message: string;
  /** Appended after the messages: the start of the model's reply. */
  generation: string;
  /** Stop strings added to every chat request (the request's own are kept too). */
  stop: readonly string[];
}

export const DEFAULT_CHAT_TEMPLATE: Readonly<ChatTemplate> = Object.freeze({
  message: '{role}: {content}\n',
  generation: 'assistant: ',
  stop: Object.freeze(['\n']),
});

/** The template with `overrides`, checked: every field named when wrong. */
export function resolveChatTemplate(overrides: Partial<ChatTemplate> = {}): ChatTemplate {
  if (typeof overrides !== 'object' || overrides === null) throw new ServerOptionError(`option chatTemplate is ${String(overrides)}; expected an object { message, generation, stop }`);
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULT_CHAT_TEMPLATE)) throw new ServerOptionError(`unknown chat template field '${key}'; valid fields are message, generation, stop`);
  }
  const template = { ...DEFAULT_CHAT_TEMPLATE, ...overrides };
  if (typeof template.message !== 'string' || !template.message.includes('{content}')) {
    throw new ServerOptionError(`chat template message is ${JSON.stringify(template.message)}; expected a string with {content} (and usually {role}) in it`);
  }
  if (typeof template.generation !== 'string') throw new ServerOptionError(`chat template generation is ${JSON.stringify(template.generation)}; expected a string`);
  if (!Array.isArray(template.stop) || !template.stop.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new ServerOptionError(`chat template stop is ${JSON.stringify(template.stop)}; expected an array of non-empty strings`);
  }
  return template;
}

/** The prompt a conversation becomes. */
export function renderChat(template: ChatTemplate, messages: ChatRequest['messages']): string {
  let prompt = '';
  for (const m of messages) {
    const content = typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join('');
    // One pass, so a message that contains "{role}" is left as written.
    prompt += template.message.replace(/\{(role|content)\}/g, (_, key: string) => (key === 'role' ? m.role : content));
  }
  return prompt + template.generation;
}

export interface ChatLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: { role: 'assistant'; content: string }; logprobs: { content: ChatLogprob[] } | null; finish_reason: FinishReason }[];
  usage: Usage;
}

const utf8 = new TextEncoder();

function chatLogprobs(entries: readonly TokenLogprob[]): { content: ChatLogprob[] } {
  return {
    content: entries.map((e) => ({
      token: e.token,
      logprob: e.logprob,
      bytes: [...utf8.encode(e.token)],
      top_logprobs: e.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: [...utf8.encode(t.token)] })),
    })),
  };
}

export async function handleChat(ctx: ServerContext, body: ChatRequest, reply: FastifyReply): Promise<ChatCompletionResponse | undefined> {
  const model = ctx.models.get(body.model);
  const template = ctx.options.chatTemplate;
  const prompt = renderChat(template, body.messages);
  const limit = ctx.options.limits.maxPromptChars;
  if (prompt.length > limit) {
    throw new InvalidRequestError(`messages make a prompt of ${prompt.length} characters with the chat template; this server takes at most ${limit}`, 'messages', 'prompt_too_long');
  }
  const sampling = toSamplerSettings({ ...body, max_tokens: body.max_completion_tokens ?? body.max_tokens }, ctx.options.defaults);
  sampling.stop = [...new Set([...sampling.stop, ...template.stop])];
  const logprobs = body.logprobs === true ? (body.top_logprobs ?? 0) : undefined;
  const job = new GenerationJob(`chatcmpl-${randomUUID().replace(/-/g, '')}`, ctx, {
    model,
    prompts: [{ ids: encodePrompt(model, prompt, 'messages'), param: 'messages' }],
    n: body.n ?? 1,
    sampling,
    logprobs,
    promptLogprobs: false,
    session: undefined,
  });
  job.watch(reply);

  if (body.stream === true) {
    const head = `{"id":"${job.id}","object":"chat.completion.chunk","created":${job.created},"model":${JSON.stringify(model.name)},"choices":[{"index":`;
    const write = (index: number, text: string, entries: readonly TokenLogprob[] | undefined, finish: FinishReason | null): string => {
      const delta = finish === null ? `{"content":${JSON.stringify(text)}}` : '{}';
      const lp = logprobs !== undefined && finish === null ? JSON.stringify(chatLogprobs(entries ?? [])) : 'null';
      return `${head}${index},"delta":${delta},"logprobs":${lp},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}`;
    };
    // OpenAI's first chunk of a choice names the role.
    const lead = (index: number): string => `${head}${index},"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`;
    const usage =
      body.stream_options?.include_usage === true
        ? (u: Usage): string => JSON.stringify({ id: job.id, object: 'chat.completion.chunk', created: job.created, model: model.name, choices: [], usage: u })
        : undefined;
    await job.stream(reply, write, usage, lead);
    return undefined;
  }

  const results = await job.collect();
  return {
    id: job.id,
    object: 'chat.completion',
    created: job.created,
    model: model.name,
    choices: results.map((r, index) => ({
      index,
      message: { role: 'assistant', content: r.text },
      logprobs: logprobs === undefined ? null : chatLogprobs(job.streams[index].logprobs!),
      finish_reason: r.reason === 'stop' ? 'stop' : 'length',
    })),
    usage: job.usage(),
  };
}
