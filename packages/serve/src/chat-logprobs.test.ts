import OpenAI from 'openai';
import { createServer, DEFAULT_CHAT_TEMPLATE, renderChat, type CharServer, type CompletionResponse, type OpenAIErrorBody } from './index.js';
import { postJson, sseEvents } from './test-helpers/http.js';
import { demoModel, openModel, referenceTexts, smallModel, type OpenModel } from './test-helpers/models.js';

const quiet = { warn: () => undefined };

/** log-softmax of the model's logits after each prompt character, computed directly from one run of the session. */
async function referenceLogprobs(model: OpenModel, prompt: string): Promise<number[][]> {
  const ids = model.tokenizer.encode(prompt);
  const { numLayers, hiddenSize, vocabSize: V } = model.info;
  const out = await model.session.run(BigInt64Array.from(ids.map(BigInt)), ids.length, 1, new Float32Array(numLayers * hiddenSize));
  return ids.map((_, t) => {
    const row = Array.from(out.logits.subarray(t * V, (t + 1) * V));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
    return row.map((v) => v - lse);
  });
}

describe('chat completions, logprobs and echo (demo model, real HTTP on 127.0.0.1)', () => {
  let server: CharServer;
  let url: string;
  let client: OpenAI;
  let model: OpenModel;
  const bytes = demoModel();

  beforeAll(async () => {
    server = await createServer({ models: [{ source: bytes, name: 'demo' }], port: 0, backend: 'cpu', logger: quiet });
    url = await server.listen();
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    model = await openModel(bytes);
  });
  afterAll(async () => {
    await model.session.release();
    await server.close();
  });

  it('joins the messages by the chat template and answers what generate() writes after that prompt, up to the template stop', async () => {
    const messages = [
      { role: 'system' as const, content: 'you are a philosopher.' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'what is ' }, { type: 'text' as const, text: 'truth?' }] },
    ];
    const prompt = renderChat(DEFAULT_CHAT_TEMPLATE, [messages[0], { role: 'user', content: 'what is truth?' }]);
    expect(prompt).toBe('system: you are a philosopher.\nuser: what is truth?\nassistant: ');
    const [expected] = await referenceTexts(bytes, [{ prompt, seed: 4, maxNewTokens: 300, temperature: 0.7, stop: ['\n'] }]);
    const reply = expected.endsWith('\n') ? expected.slice(0, -1) : expected;
    const completion = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 300, temperature: 0.7, seed: 4 });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(completion.choices[0].message).toEqual({ role: 'assistant', content: reply });
    expect(completion.choices[0].finish_reason).toBe(expected.endsWith('\n') ? 'stop' : 'length');
    expect(completion.usage?.prompt_tokens).toBe(prompt.length);

    const stream = await client.chat.completions.create({ model: 'demo', messages, max_completion_tokens: 300, temperature: 0.7, seed: 4, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const roles: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.delta.role !== undefined) roles.push(choice.delta.role);
      }
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(reply);
    expect(roles).toEqual(['assistant']);
    expect(usage?.completion_tokens).toBe(expected.length);
  });

  it('gives each character of a chat reply its log-probability under the model, and the top alternatives', async () => {
    const messages = [{ role: 'user' as const, content: 'god is ' }];
    const completion = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 40, seed: 9, logprobs: true, top_logprobs: 3 });
    const content = completion.choices[0].logprobs!.content!;
    expect(content.map((c) => c.token).join('')).toBe(completion.choices[0].message.content);
    // The reference: the model's own log-softmax after the prompt and the reply so far.
    const prompt = renderChat(DEFAULT_CHAT_TEMPLATE, messages);
    const reference = await referenceLogprobs(model, prompt + completion.choices[0].message.content!);
    const V = model.info.vocabSize;
    content.forEach((c, i) => {
      const row = reference[prompt.length - 1 + i];
      expect(c.logprob).toBeCloseTo(row[model.tokenizer.encode(c.token)[0]], 4);
      expect(c.bytes).toEqual([...Buffer.from(c.token)]);
      const best = [...row.keys()].sort((a, b) => row[b] - row[a]).slice(0, 3);
      expect(c.top_logprobs.map((t) => t.token)).toEqual(best.map((id) => model.info.vocab[id]));
      c.top_logprobs.forEach((t, k) => expect(t.logprob).toBeCloseTo(row[best[k]], 4));
    });
    expect(V).toBeGreaterThan(3);
  });

  it('echoes the prompt and scores it: logprobs for every prompt character after the first, as the model gives them', async () => {
    const prompt = 'the will to power';
    const scored = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt, max_tokens: 0, echo: true, logprobs: 2 });
    expect(scored.status).toBe(200);
    const choice = scored.body.choices[0];
    expect(choice.text).toBe(prompt);
    const lp = choice.logprobs!;
    expect(lp.tokens.join('')).toBe(prompt);
    expect(lp.text_offset).toEqual([...prompt].map((_, i) => i));
    expect(lp.token_logprobs[0]).toBeNull();
    expect(lp.top_logprobs[0]).toBeNull();
    const reference = await referenceLogprobs(model, prompt);
    const ids = model.tokenizer.encode(prompt);
    for (let i = 1; i < ids.length; i++) {
      expect(lp.token_logprobs[i]).toBeCloseTo(reference[i - 1][ids[i]], 4);
      expect(Object.keys(lp.top_logprobs[i]!)).toHaveLength(2);
    }

    // Echo with generation: the text is prompt + completion, offsets run on through both.
    const [expected] = await referenceTexts(bytes, [{ prompt, seed: 2, maxNewTokens: 30 }]);
    const both = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt, max_tokens: 30, seed: 2, echo: true, logprobs: 1 });
    expect(both.body.choices[0].text).toBe(prompt + expected);
    expect(both.body.choices[0].logprobs!.tokens.join('')).toBe(prompt + expected);
    expect(both.body.choices[0].logprobs!.text_offset.at(-1)).toBe(prompt.length + expected.length - 1);
    const stepped = await referenceLogprobs(model, prompt + expected);
    const allIds = model.tokenizer.encode(prompt + expected);
    both.body.choices[0].logprobs!.token_logprobs.slice(1).forEach((v, i) => expect(v).toBeCloseTo(stepped[i][allIds[i + 1]], 4));
  });

  it('streams logprobs with each chunk (offsets continuing) and leaves a stop string out of them too', async () => {
    const [reference] = await referenceTexts(bytes, [{ prompt: 'the ', seed: 3, maxNewTokens: 400, stop: ['e '] }]);
    const response = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'the ', max_tokens: 400, seed: 3, stop: 'e ', logprobs: 0, stream: true, echo: true }),
    });
    const chunks = sseEvents(await response.text())
      .filter((e) => e !== '[DONE]')
      .map((e) => JSON.parse(e) as CompletionResponse);
    const choices = chunks.flatMap((c) => c.choices);
    const text = choices.map((c) => c.text).join('');
    expect(text).toBe('the ' + reference.slice(0, -2));
    const tokens = choices.flatMap((c) => c.logprobs?.tokens ?? []);
    const offsets = choices.flatMap((c) => c.logprobs?.text_offset ?? []);
    expect(tokens.join('')).toBe(text);
    expect(offsets).toEqual([...text].map((_, i) => i));
    expect(choices.at(-1)!.finish_reason).toBe('stop');
  });

  it('refuses what a chat request cannot be, naming the field', async () => {
    const cases: [object, string, RegExp][] = [
      [{ messages: [] }, 'messages', /messages is an array of 0; expected a non-empty array/],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', /expected one of system, developer, user, assistant/],
      [{ messages: [{ role: 'user', content: 'x' }], session: true }, 'session', /unknown field 'session'/],
      [{ messages: [{ role: 'user', content: 'x' }], top_logprobs: 50 }, 'top_logprobs', /an integer from 0 to 20/],
      [{ messages: [{ role: 'user', content: 'x'.repeat(40_000) }] }, 'messages', /prompt of 40\d{3} characters/],
      [{ messages: [{ role: 'user', content: 'x' }], tools: [] }, 'tools', /does not support/],
    ];
    for (const [body, param, message] of cases) {
      const response = await postJson<OpenAIErrorBody>(`${url}/v1/chat/completions`, body);
      expect([param, response.status]).toEqual([param, 400]);
      expect(response.body.error.param).toBe(param);
      expect(response.body.error.message).toMatch(message);
    }
  });
});

describe('prompt log-probabilities on both graph kinds', () => {
  it('are the same whether the prompt is primed in one run (fused graph) or fed one character per step (step graph)', async () => {
    const server = await createServer({
      models: [
        { source: smallModel('lstm', 'fused'), name: 'fused' },
        { source: smallModel('lstm', 'step'), name: 'step' },
      ],
      port: 0,
      backend: 'cpu',
      logger: quiet,
    });
    const url = await server.listen();
    try {
      const prompt = 'the cat sat. a hen is on the hat.';
      const [fused, step] = await Promise.all(
        ['fused', 'step'].map(async (model) => (await postJson<CompletionResponse>(`${url}/v1/completions`, { model, prompt, max_tokens: 5, seed: 1, echo: true, logprobs: 3 })).body.choices[0]),
      );
      expect(step.text).toBe(fused.text);
      const a = fused.logprobs!.token_logprobs;
      const b = step.logprobs!.token_logprobs;
      expect(a).toHaveLength(prompt.length + 5);
      expect(a[0]).toBeNull();
      a.slice(1).forEach((v, i) => expect(b[i + 1]).toBeCloseTo(v!, 5));
      expect(step.logprobs!.top_logprobs.slice(1).map((t) => Object.keys(t!))).toEqual(fused.logprobs!.top_logprobs.slice(1).map((t) => Object.keys(t!)));
    } finally {
      await server.close();
    }
  });
});
