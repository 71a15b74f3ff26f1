/**
 * Conformance with the official `openai` Node client: every request parameter the README lists,
 * on completions and chat, streamed and not, each checked for its effect against infer-web's own
 * generator (the same seed and settings give the same text) rather than for a 200 alone.
 */
import { CharGenerator, type GenerationOptions } from '@charrnn/infer-web/node';
import OpenAI from 'openai';
import { createServer, DEFAULT_CHAT_TEMPLATE, renderChat, type CharServer } from './index.js';
import { demoModel } from './test-helpers/models.js';

const quiet = { warn: () => undefined };
type Body = Record<string, unknown>;

/** What one choice is expected to be: generate() on a fresh state, then the stop string cut. */
interface Expectation {
  prompt: string;
  options: GenerationOptions;
  /** Rng stream of the seed (choice i of a request samples with stream i). */
  stream?: number;
  cutStop?: boolean;
}

describe('the openai Node client against this server (127.0.0.1)', () => {
  let server: CharServer;
  let client: OpenAI;
  let generator: CharGenerator;
  const bytes = demoModel();

  beforeAll(async () => {
    server = await createServer({ models: [{ source: bytes, name: 'demo' }], port: 0, backend: 'cpu', logger: quiet });
    client = new OpenAI({ baseURL: `${await server.listen()}/v1`, apiKey: 'unused', maxRetries: 0 });
    generator = await CharGenerator.load(bytes, { backend: 'cpu' });
  });
  afterAll(async () => {
    await generator.release();
    await server.close();
  });

  async function expected(e: Expectation): Promise<string> {
    generator.reset();
    let text: string;
    if (e.stream === undefined || e.stream === 0) text = await generator.generate(e.prompt, e.options);
    else text = (await generator.generateBatch(Array.from({ length: e.stream + 1 }, () => e.prompt), e.options))[e.stream];
    const stop = (e.options.stop ?? []).find((s) => text.endsWith(s));
    return e.cutStop !== false && stop !== undefined && text.length < (e.options.maxNewTokens ?? 200) ? text.slice(0, -stop.length) : text;
  }

  async function completion(body: Body, stream: boolean): Promise<{ texts: string[]; finishes: string[]; raw: OpenAI.Completion[] }> {
    if (!stream) {
      const c = await client.completions.create({ model: 'demo', ...body, stream: false } as OpenAI.CompletionCreateParamsNonStreaming);
      return { texts: c.choices.map((x) => x.text), finishes: c.choices.map((x) => x.finish_reason), raw: [c] };
    }
    const texts: string[] = [];
    const finishes: string[] = [];
    const raw: OpenAI.Completion[] = [];
    for await (const chunk of await client.completions.create({ model: 'demo', ...body, stream: true } as OpenAI.CompletionCreateParamsStreaming)) {
      raw.push(chunk);
      for (const choice of chunk.choices) {
        texts[choice.index] = (texts[choice.index] ?? '') + choice.text;
        if (choice.finish_reason !== null) finishes[choice.index] = choice.finish_reason;
      }
    }
    return { texts, finishes, raw };
  }

  const base = { prompt: 'the meaning of life is ', max_tokens: 60, seed: 11 };
  const reference = { prompt: 'the meaning of life is ', options: { maxNewTokens: 60, seed: 11 } };
  const completionCases: [string, Body, Expectation[]][] = [
    ['prompt, max_tokens, seed', base, [reference]],
    ['temperature', { ...base, temperature: 0.4 }, [{ ...reference, options: { ...reference.options, temperature: 0.4 } }]],
    ['temperature 0 (greedy)', { ...base, temperature: 0 }, [{ ...reference, options: { ...reference.options, temperature: 0 } }]],
    ['top_p', { ...base, top_p: 0.7 }, [{ ...reference, options: { ...reference.options, topP: 0.7 } }]],
    ['top_k (extension)', { ...base, top_k: 4 }, [{ ...reference, options: { ...reference.options, topK: 4 } }]],
    ['min_p (extension)', { ...base, min_p: 0.2 }, [{ ...reference, options: { ...reference.options, minP: 0.2 } }]],
    ['presence_penalty', { ...base, presence_penalty: 1.5 }, [{ ...reference, options: { ...reference.options, presencePenalty: 1.5 } }]],
    ['frequency_penalty', { ...base, frequency_penalty: -0.5 }, [{ ...reference, options: { ...reference.options, frequencyPenalty: -0.5 } }]],
    ['repetition_penalty (extension)', { ...base, repetition_penalty: 2 }, [{ ...reference, options: { ...reference.options, repetitionPenalty: 2 } }]],
    ['stop', { ...base, max_tokens: 300, stop: ['e ', 's '] }, [{ ...reference, options: { ...reference.options, maxNewTokens: 300, stop: ['e ', 's '] } }]],
    [
      'include_stop_str_in_output (extension)',
      { ...base, max_tokens: 300, stop: 'e ', include_stop_str_in_output: true },
      [{ ...reference, options: { ...reference.options, maxNewTokens: 300, stop: ['e '] }, cutStop: false }],
    ],
    ['n', { ...base, n: 3 }, [0, 1, 2].map((stream) => ({ ...reference, stream }))],
    [
      'a prompt array',
      { ...base, prompt: ['god is ', 'truth is '] },
      [
        { prompt: 'god is ', options: reference.options, stream: 0 },
        { prompt: 'truth is ', options: reference.options, stream: 1 },
      ],
    ],
    ['user, best_of 1, suffix null, logit_bias null', { ...base, user: 'someone', best_of: 1, suffix: null, logit_bias: null }, [reference]],
  ];

  it.each(completionCases)('completions.create with %s gives the same text as generate(), streamed and not', async (_name, body, expectations) => {
    const want = await Promise.all(expectations.map((e) => expected(e)));
    for (const stream of [false, true]) {
      const got = await completion(body, stream);
      expect([stream, got.texts]).toEqual([stream, want]);
      expect(got.finishes.every((f) => f === 'length' || f === 'stop')).toBe(true);
    }
  });

  it('completions.create with echo, logprobs and stream_options.include_usage', async () => {
    const text = await expected(reference);
    for (const stream of [false, true]) {
      const got = await completion({ ...base, echo: true, logprobs: 2, ...(stream ? { stream_options: { include_usage: true } } : {}) }, stream);
      expect(got.texts).toEqual([base.prompt + text]);
      const logprobs = got.raw.flatMap((c) => c.choices.map((x) => x.logprobs)).filter((l) => l !== null);
      expect(logprobs.flatMap((l) => l!.tokens ?? []).join('')).toBe(base.prompt + text);
      expect(logprobs.flatMap((l) => l!.top_logprobs ?? []).filter((t) => t !== null).every((t) => Object.keys(t!).length === 2)).toBe(true);
      const usage = got.raw.map((c) => c.usage).find((u) => u !== undefined && u !== null);
      expect(usage).toEqual({ prompt_tokens: base.prompt.length, completion_tokens: 60, total_tokens: base.prompt.length + 60 });
    }
  });

  it('completions.create with session (extension) continues the text across requests', async () => {
    const first = (await client.completions.create({ model: 'demo', prompt: 'the ', max_tokens: 30, seed: 3, session: true } as OpenAI.CompletionCreateParamsNonStreaming)) as OpenAI.Completion & { session: string };
    const stream = await client.completions.create({ model: 'demo', prompt: ' and', max_tokens: 30, seed: 4, stream: true, session: first.session } as OpenAI.CompletionCreateParamsStreaming);
    let second = '';
    for await (const chunk of stream) second += chunk.choices[0]?.text ?? '';
    generator.reset();
    expect(first.choices[0].text).toBe(await generator.generate('the ', { seed: 3, maxNewTokens: 30 }));
    expect(second).toBe(await generator.generate(' and', { seed: 4, maxNewTokens: 30 }));
  });

  const messages = [
    { role: 'system' as const, content: 'you write aphorisms.' },
    { role: 'user' as const, content: 'what is good?' },
  ];
  const chatPrompt = renderChat(DEFAULT_CHAT_TEMPLATE, messages);
  const chatBase = { messages, max_tokens: 80, seed: 5 };
  const chatReference = { prompt: chatPrompt, options: { maxNewTokens: 80, seed: 5, stop: ['\n'] } };
  const chatCases: [string, Body, Expectation[]][] = [
    ['messages, max_tokens, seed', chatBase, [chatReference]],
    ['max_completion_tokens', { messages, max_completion_tokens: 40, seed: 5 }, [{ ...chatReference, options: { ...chatReference.options, maxNewTokens: 40 } }]],
    [
      'temperature, top_p, presence and frequency penalties',
      { ...chatBase, temperature: 0.6, top_p: 0.9, presence_penalty: 0.3, frequency_penalty: 0.2 },
      [{ ...chatReference, options: { ...chatReference.options, temperature: 0.6, topP: 0.9, presencePenalty: 0.3, frequencyPenalty: 0.2 } }],
    ],
    ['stop (with the template stop)', { ...chatBase, stop: ['. '] }, [{ ...chatReference, options: { ...chatReference.options, stop: ['. ', '\n'] } }]],
    ['n', { ...chatBase, n: 2 }, [0, 1].map((stream) => ({ ...chatReference, stream }))],
    ['user', { ...chatBase, user: 'someone' }, [chatReference]],
  ];

  it.each(chatCases)('chat.completions.create with %s replies with generate() text after the rendered prompt, streamed and not', async (_name, body, expectations) => {
    const want = await Promise.all(expectations.map((e) => expected(e)));
    const plain = await client.chat.completions.create({ model: 'demo', ...body, stream: false } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(plain.choices.map((c) => c.message.content)).toEqual(want);
    expect(plain.choices.every((c) => c.message.role === 'assistant')).toBe(true);
    const texts: string[] = [];
    for await (const chunk of await client.chat.completions.create({ model: 'demo', ...body, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming)) {
      for (const c of chunk.choices) texts[c.index] = (texts[c.index] ?? '') + (c.delta.content ?? '');
    }
    expect(texts).toEqual(want);
  });

  it('chat.completions.create with logprobs, top_logprobs and stream_options.include_usage', async () => {
    const want = await expected(chatReference);
    const plain = await client.chat.completions.create({ model: 'demo', ...chatBase, logprobs: true, top_logprobs: 2 });
    expect(plain.choices[0].logprobs!.content!.map((c) => c.token).join('')).toBe(want);
    expect(plain.choices[0].logprobs!.content!.every((c) => c.top_logprobs.length === 2 && c.logprob <= 0)).toBe(true);
    let usage: OpenAI.CompletionUsage | undefined;
    let tokens = '';
    for await (const chunk of await client.chat.completions.create({ model: 'demo', ...chatBase, logprobs: true, stream: true, stream_options: { include_usage: true } })) {
      usage = chunk.usage ?? usage;
      for (const c of chunk.choices) tokens += (c.logprobs?.content ?? []).map((t) => t.token).join('');
    }
    expect(tokens).toBe(want);
    expect(usage?.prompt_tokens).toBe(chatPrompt.length);
  });

  it('raises the client\'s own error classes: NotFoundError for an unknown model, BadRequestError naming the field', async () => {
    await expect(client.completions.create({ model: 'gpt-4', prompt: 'a' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const bad = await client.chat.completions.create({ model: 'demo', messages, temperature: 3 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
  });
});
