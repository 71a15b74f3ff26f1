import OpenAI from 'openai';
import { createServer, type CharServer } from './index.js';
import { getJson, metricValue, postBytes, postJson, rawStreamingRequest, sseEvents, until } from './test-helpers/http.js';
import { demoModel, DEMO_MODEL_PATH, referenceTexts, smallModel } from './test-helpers/models.js';
import type { CompletionResponse, OpenAIErrorBody } from './index.js';

const quiet = { warn: () => undefined };

describe('the completions server (demo model, real HTTP on 127.0.0.1)', () => {
  let server: CharServer;
  let url: string;
  let client: OpenAI;
  const bytes = demoModel();

  beforeAll(async () => {
    server = await createServer({ models: [DEMO_MODEL_PATH], port: 0, backend: 'cpu', logger: quiet, limits: { maxPromptChars: 2000 } });
    url = await server.listen();
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(() => server.close());

  it('listens on 127.0.0.1 and lists its model', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['nietzsche-gru']);
    const health = await getJson<{ status: string }>(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
  });

  it("answers the openai client's completions.create with infer-web's text for the same seed", async () => {
    const [expected] = await referenceTexts(bytes, [{ prompt: 'the meaning of life is ', seed: 1, maxNewTokens: 120, temperature: 0.8 }]);
    const completion = await client.completions.create({ model: 'nietzsche-gru', prompt: 'the meaning of life is ', max_tokens: 120, temperature: 0.8, seed: 1 });
    expect(completion.object).toBe('text_completion');
    expect(completion.id).toMatch(/^cmpl-[0-9a-f]{32}$/);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0].text).toBe(expected);
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.usage).toEqual({ prompt_tokens: 23, completion_tokens: 120, total_tokens: 143 });
  });

  it('streams the same text as SSE chunks through the openai client, ending with the finish reason and usage', async () => {
    const [expected] = await referenceTexts(bytes, [{ prompt: 'what is truth? ', seed: 42, maxNewTokens: 300, topP: 0.9 }]);
    const stream = await client.completions.create({
      model: 'nietzsche-gru',
      prompt: 'what is truth? ',
      max_tokens: 300,
      top_p: 0.9,
      seed: 42,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      for (const choice of chunk.choices) {
        text += choice.text;
        finishes.push(choice.finish_reason);
      }
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(expected);
    expect(chunks).toBeGreaterThan(2);
    expect(finishes.at(-1)).toBe('length');
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    expect(usage).toEqual({ prompt_tokens: 15, completion_tokens: 300, total_tokens: 315 });
  });

  it('gives n choices per prompt, choice i sampling with stream i of the seed, and honours stop', async () => {
    const response = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: ['god is ', 'the '], n: 3, max_tokens: 40, seed: 7 });
    expect(response.status).toBe(200);
    const texts = response.body.choices.map((c) => c.text);
    expect(response.body.choices.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const [first] = await referenceTexts(bytes, [{ prompt: 'god is ', seed: 7, maxNewTokens: 40 }]);
    expect(texts[0]).toBe(first);
    expect(new Set(texts).size).toBe(6);
    expect(response.body.usage.completion_tokens).toBe(240);

    const [withStop] = await referenceTexts(bytes, [{ prompt: 'the ', seed: 3, maxNewTokens: 400, stop: ['e '] }]);
    // The stop string is left out of the text, as OpenAI and vLLM do, streamed or not.
    expect(withStop.endsWith('e ')).toBe(true);
    const stopped = await client.completions.create({ model: 'nietzsche-gru', prompt: 'the ', max_tokens: 400, seed: 3, stop: 'e ' });
    expect(stopped.choices[0].text).toBe(withStop.slice(0, -2));
    expect(stopped.choices[0].finish_reason).toBe('stop');
    const streamed = await client.completions.create({ model: 'nietzsche-gru', prompt: 'the ', max_tokens: 400, seed: 3, stop: ['e ', 'zzz'], stream: true });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(withStop.slice(0, -2));
    // vLLM's include_stop_str_in_output keeps it.
    const kept = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'the ', max_tokens: 400, seed: 3, stop: 'e ', include_stop_str_in_output: true });
    expect(kept.body.choices[0].text).toBe(withStop);
    expect(kept.body.usage.completion_tokens).toBe(withStop.length);
  });

  it("applies min_p and the presence, frequency and repetition penalties as infer-web's generate() does, streamed or not", async () => {
    const options = { temperature: 0.9, minP: 0.05, presencePenalty: 0.6, frequencyPenalty: 0.4, repetitionPenalty: 1.3 };
    const [expected, plain] = await referenceTexts(bytes, [
      { prompt: 'the will to ', seed: 21, maxNewTokens: 150, ...options },
      { prompt: 'the will to ', seed: 21, maxNewTokens: 150, temperature: 0.9 },
    ]);
    expect(expected).not.toBe(plain);
    const body = { model: 'nietzsche-gru', prompt: 'the will to ', seed: 21, max_tokens: 150, temperature: 0.9, min_p: 0.05, presence_penalty: 0.6, frequency_penalty: 0.4 };
    const completion = await client.completions.create({ ...body, repetition_penalty: 1.3 } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(completion.choices[0].text).toBe(expected);
    const stream = await client.completions.create({ ...body, repetition_penalty: 1.3, stream: true } as OpenAI.CompletionCreateParamsStreaming);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(expected);
    const tooMuch = await postJson<OpenAIErrorBody>(`${url}/v1/completions`, { prompt: 'a', presence_penalty: 2.5 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.message).toBe('presence_penalty is 2.5; expected a number from -2 to 2 (0 = off)');
  });

  it('counts requests, characters, batch sizes and step times in /metrics', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    const generated = (text: string): number => metricValue(text, 'charrnn_generated_characters_total{model="nietzsche-gru"}') ?? 0;
    await postJson(`${url}/v1/completions`, { prompt: 'a', max_tokens: 77, seed: 1 });
    await postJson(`${url}/v1/completions`, { prompt: 'a', max_tokens: -1 });
    const ok = (text: string): number => metricValue(text, 'charrnn_requests_total{route="/v1/completions",status="200"}') ?? 0;
    const streamed = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"b","max_tokens":3,"stream":true}' });
    expect(sseEvents(await streamed.text()).at(-1)).toBe('[DONE]');
    // A request is counted once its response has gone out, which the client may see first.
    await until(async () => ok(await (await fetch(`${url}/metrics`)).text()) - ok(before) >= 2, 60_000, 'the 200s to be counted');
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(generated(text) - generated(before)).toBe(80);
    expect(ok(text) - ok(before)).toBe(2);
    expect(metricValue(text, 'charrnn_requests_total{route="/v1/completions",status="400"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'charrnn_requests_total{route="/v1/completions",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(metricValue(text, 'charrnn_batch_size_count{model="nietzsche-gru"}')).toBeGreaterThan(77);
    expect(metricValue(text, 'charrnn_step_seconds_count{model="nietzsche-gru"}')).toBeGreaterThan(77);
    expect(metricValue(text, 'charrnn_active_streams{model="nietzsche-gru"}')).toBe(0);
    expect(metricValue(text, 'charrnn_queued_streams{model="nietzsche-gru"}')).toBe(0);
  });

  const hostile: [string, unknown, number, string | null, RegExp][] = [
    ['max_tokens negative', { prompt: 'a', max_tokens: -1 }, 400, 'max_tokens', /max_tokens is -1; expected an integer from 0 to 4096/],
    ['max_tokens a string', { prompt: 'a', max_tokens: '5' }, 400, 'max_tokens', /max_tokens is "5"/],
    ['max_tokens huge', { prompt: 'a', max_tokens: 1e9 }, 400, 'max_tokens', /1000000000/],
    ['max_tokens fractional', { prompt: 'a', max_tokens: 1.5 }, 400, 'max_tokens', /1\.5/],
    ['n huge', { prompt: 'a', n: 1e9 }, 400, 'n', /an integer from 1 to 16/],
    ['n zero', { prompt: 'a', n: 0 }, 400, 'n', /n is 0/],
    ['n "NaN"', { prompt: 'a', n: 'NaN' }, 400, 'n', /"NaN"/],
    ['temperature "NaN"', { prompt: 'a', temperature: 'NaN' }, 400, 'temperature', /from 0 to 2/],
    ['temperature negative', { prompt: 'a', temperature: -0.5 }, 400, 'temperature', /-0\.5/],
    ['top_p above 1', { prompt: 'a', top_p: 1.5 }, 400, 'top_p', /top_p is 1\.5; expected a number from 0 to 1/],
    ['best_of 3', { prompt: 'a', best_of: 3 }, 400, 'best_of', /best_of is 3; expected 1 or null/],
    ['a suffix', { prompt: 'a', suffix: 'end' }, 400, 'suffix', /suffix is "end"; expected null \(a character model continues a text/],
    ['tools (OpenAI, unsupported)', { prompt: 'a', tools: [] }, 400, 'tools', /does not support/],
    ['seed negative', { prompt: 'a', seed: -1 }, 400, 'seed', /seed is -1/],
    ['seed beyond 2^53', { prompt: 'a', seed: 2 ** 60 }, 400, 'seed', /seed/],
    ['prompt a number', { prompt: 123 }, 400, 'prompt', /prompt is 123/],
    ['prompt an empty array', { prompt: [] }, 400, 'prompt', /array of 0/],
    ['prompt token ids', { prompt: [1, 2] }, 400, 'prompt[0]', /prompt\[0\] is 1/],
    ['prompt an object', { prompt: {} }, 400, 'prompt', /an object/],
    ['prompt missing', { max_tokens: 3 }, 400, 'prompt', /missing field 'prompt'/],
    ['prompt empty', { prompt: '' }, 400, 'prompt', /prompt is empty/],
    ['prompt too long', { prompt: 'a'.repeat(2001) }, 400, 'prompt', /a string of 2001 characters; expected a string of at most 2000/],
    ['prompts × n too many', { prompt: ['a', 'b', 'c', 'd', 'e'], n: 4 }, 400, 'n', /20 choices; this server gives at most 16/],
    ['stop empty string', { prompt: 'a', stop: [''] }, 400, 'stop[0]', /stop\[0\] is ""/],
    ['stop too many', { prompt: 'a', stop: ['a', 'b', 'c', 'd', 'e'] }, 400, 'stop', /an array of 5/],
    ['stream a string', { prompt: 'a', stream: 'yes' }, 400, 'stream', /true or false/],
    ['stream_options unknown key', { prompt: 'a', stream_options: { x: 1 } }, 400, 'stream_options.x', /unknown field 'stream_options.x'; valid fields are include_usage/],
    ['an unknown field', { prompt: 'a', foo: 1 }, 400, 'foo', /unknown field 'foo'; valid fields are model, prompt, max_tokens/],
    ['session of the wrong type', { prompt: 'a', session: 5 }, 400, 'session', /session is 5/],
    ['an unknown session', { prompt: 'a', session: 'sess_nope' }, 404, 'session', /no session "sess_nope"/],
    ['an unknown model', { prompt: 'a', model: 'gpt-4' }, 404, 'model', /model "gpt-4" does not exist; this server has "nietzsche-gru"/],
    ['a JSON array body', [1, 2], 400, null, /must be a JSON object/],
    ['a JSON null body', null, 400, null, /must be a JSON object/],
    ['__proto__ in the body', '{"prompt":"a","__proto__":{"x":1}}', 400, '__proto__', /the key '__proto__' is not allowed/],
    ['constructor.prototype in the body', '{"prompt":"a","constructor":{"prototype":{"x":1}}}', 400, 'constructor.prototype', /the key 'constructor.prototype' is not allowed/],
    ['invalid JSON', '{"prompt": "a",', 400, null, /not valid JSON/],
    ['an empty body', '', 400, null, /empty/],
    ['deeply nested JSON', '['.repeat(200_000), 400, null, /not valid JSON/],
  ];

  it("accepts the nulls and no-op values that OpenAI accepts and wrapper libraries send, as the defaults they stand for", async () => {
    const [expected] = await referenceTexts(bytes, [{ prompt: 'the ', seed: 12, maxNewTokens: 16 }]);
    const noOps = {
      logprobs: null,
      echo: false,
      best_of: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      max_tokens: null,
      temperature: null,
      top_p: null,
      top_k: null,
      n: null,
      stream: null,
      stop: null,
      stream_options: null,
      suffix: null,
      logit_bias: null,
      include_stop_str_in_output: null,
    };
    for (const [name, value] of Object.entries(noOps)) {
      const response = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'the ', seed: 12, [name]: value });
      expect([name, response.status]).toEqual([name, 200]);
      expect([name, response.body.choices[0].text]).toEqual([name, expected]);
    }
    const all = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'the ', seed: 12, ...noOps });
    expect(all.body.choices.map((c) => c.text)).toEqual([expected]);
    // A null seed is a random one; top_p 0 keeps only the most likely character, as greedy does.
    expect((await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'the ', seed: null })).status).toBe(200);
    const [greedy] = await referenceTexts(bytes, [{ prompt: 'the ', seed: 1, maxNewTokens: 40, temperature: 0 }]);
    const topP0 = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'the ', seed: 5, max_tokens: 40, top_p: 0 });
    expect(topP0.body.choices[0].text).toBe(greedy);
  });

  it.each(hostile)('answers %s with an error naming the field, and keeps serving', async (_name, body, status, param, message) => {
    const response = await postJson<OpenAIErrorBody>(`${url}/v1/completions`, body);
    expect(response.status).toBe(status);
    expect(response.body.error.param).toBe(param);
    expect(response.body.error.message).toMatch(message);
    expect(response.body.error.type).toBe(status === 404 ? 'not_found_error' : 'invalid_request_error');
    expect(typeof response.body.error.code).toBe('string');
  });

  it('refuses invalid UTF-8, non-JSON content types, oversized bodies and unknown routes', async () => {
    const invalid = await postBytes(`${url}/v1/completions`, Uint8Array.from([0x7b, 0x22, 0x70, 0x72, 0x6f, 0x6d, 0x70, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'application/json');
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).error.code).toBe('invalid_utf8');
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'text/plain; charset=utf-8']) {
      const form = await postBytes(`${url}/v1/completions`, Buffer.from('{"prompt":"a"}'), type);
      expect(form.status).toBe(415);
      expect(JSON.parse(form.body).error.code).toBe('unsupported_media_type');
      expect(JSON.parse(form.body).error.message).toMatch(/Content-Type: application\/json/);
    }
    const big = await postBytes(`${url}/v1/completions`, Buffer.from(JSON.stringify({ prompt: 'a'.repeat(2 << 20) })), 'application/json');
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe('body_too_large');
    const missing = await getJson<OpenAIErrorBody>(`${url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('no route GET /v1/nothing');
    // Still serving.
    const ok = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'a', max_tokens: 5 });
    expect(ok.body.choices[0].text).toHaveLength(5);
  });

  it('frees the slot at once when a streaming client disconnects, and counts the request and the cut stream', async () => {
    const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
    const closed = (text: string): number => metricValue(text, 'charrnn_requests_total{route="/v1/completions",status="499"}') ?? 0;
    const cut = (text: string): number => metricValue(text, 'charrnn_cancelled_streams_total{model="nietzsche-gru",reason="client_closed"}') ?? 0;
    const before = await metrics();
    const socket = rawStreamingRequest(url, { prompt: 'the ', max_tokens: 4096, stream: true });
    let received = '';
    await new Promise<void>((resolve) => socket.on('data', (d: Buffer) => ((received += d.toString()), received.includes('data: ') && resolve())));
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    socket.destroy();
    await until(async () => (await getJson<{ models: { active_streams: number }[] }>(`${url}/health`)).body.models[0].active_streams === 0, 10_000, 'the slot to be freed');
    // 499 is nginx's "client closed request": the request is counted, not lost.
    await until(async () => closed(await metrics()) === closed(before) + 1, 10_000, 'the closed request to be counted');
    expect(cut(await metrics())).toBe(cut(before) + 1);
  });
});

describe('limits', () => {
  it('answers 429 with Retry-After when the queue is full, and 408 (or an SSE error) past the request timeout', async () => {
    const server = await createServer({
      models: [{ source: demoModel(), name: 'demo' }],
      port: 0,
      backend: 'cpu',
      logger: quiet,
      limits: { maxStreams: 1, maxQueue: 1, maxChoices: 1, maxTokens: 1_000_000, requestTimeoutMs: 400 },
    });
    const url = await server.listen();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    try {
      const running = postJson<OpenAIErrorBody>(`${url}/v1/completions`, { prompt: 'a', max_tokens: 1_000_000 });
      const queued = postJson<OpenAIErrorBody>(`${url}/v1/completions`, { prompt: 'b', max_tokens: 1_000_000 });
      await until(async () => (await getJson<{ models: { queued_streams: number }[] }>(`${url}/health`)).body.models[0].queued_streams === 1, 2000, 'a queued stream');
      const refused = await client.completions.create({ model: 'demo', prompt: 'c', max_tokens: 1 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error.headers.get('retry-after')).toBe('1');
      expect(error.code).toBe('queue_full');
      // Both long requests end at the timeout, the queued one too.
      const [first, second] = await Promise.all([running, queued]);
      expect(first.status).toBe(408);
      expect(first.body.error.code).toBe('request_timeout');
      expect(second.status).toBe(408);

      const stream = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'a', max_tokens: 1_000_000, stream: true }) });
      const events = sseEvents(await stream.text());
      expect(events.at(-1)).toBe('[DONE]');
      expect(JSON.parse(events.at(-2)!).error.code).toBe('request_timeout');
    } finally {
      await server.close();
    }
  });

  it('pauses generation for a client that does not read (backpressure), and frees it when it goes', async () => {
    // One SSE event per character, so the socket buffers fill quickly.
    const server = await createServer({ models: [{ source: demoModel(), name: 'demo' }], port: 0, backend: 'cpu', logger: quiet, flushIntervalMs: 0, limits: { maxTokens: 1_000_000 } });
    const url = await server.listen();
    try {
      const generated = async (): Promise<number> => metricValue(await (await fetch(`${url}/metrics`)).text(), 'charrnn_generated_characters_total{model="demo"}') ?? 0;
      const socket = rawStreamingRequest(url, { prompt: 'the ', max_tokens: 1_000_000, stream: true });
      socket.pause();
      // Generation stops once the buffers are full: the count stays put while nobody reads.
      let last = -1;
      await until(
        async () => {
          const now = await generated();
          const still = now === last && now > 0;
          last = now;
          if (!still) await new Promise((r) => setTimeout(r, 200));
          return still;
        },
        // The socket buffers (several MB, one SSE event per character) take a loaded machine a
        // while to fill: 20 s was not enough at load 17.
        90_000,
        'generation to pause',
      );
      expect(last).toBeLessThan(1_000_000);
      const health = await getJson<{ models: { active_streams: number }[] }>(`${url}/health`);
      expect(health.body.models[0].active_streams).toBe(1);
      // Reading again lets it continue.
      socket.resume();
      socket.on('data', () => undefined);
      // Generous waits: this failed once at load 13, where 1,000 characters took longer than 5 s.
      await until(async () => (await generated()) > last + 1000, 20_000, 'generation to resume');
      socket.destroy();
      await until(async () => (await getJson<{ models: { active_streams: number }[] }>(`${url}/health`)).body.models[0].active_streams === 0, 10_000, 'the slot to be freed');
    } finally {
      await server.close();
    }
  }, 180_000);
});

describe('a client that goes away before a response that is not streamed', () => {
  it('frees the slot, counts a 499 and logs no server error', async () => {
    const warnings: string[] = [];
    const server = await createServer({ models: [{ source: demoModel(), name: 'demo' }], port: 0, backend: 'cpu', logger: { warn: (m) => warnings.push(m) }, limits: { maxTokens: 1_000_000 } });
    const url = await server.listen();
    try {
      const active = async (): Promise<number> => (await getJson<{ models: { active_streams: number }[] }>(`${url}/health`)).body.models[0].active_streams;
      // rawStreamingRequest writes any body; this one is not streamed.
      const socket = rawStreamingRequest(url, { prompt: 'the ', max_tokens: 1_000_000 });
      await until(async () => (await active()) === 1, 10_000, 'the request to run');
      socket.destroy();
      await until(async () => (await active()) === 0, 10_000, 'the slot to be freed');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      await until(async () => metricValue(await (await fetch(`${url}/metrics`)).text(), 'charrnn_requests_total{route="/v1/completions",status="499"}') === 1, 10_000, 'the 499');
      expect(metricValue(metrics, 'charrnn_cancelled_streams_total{model="demo",reason="client_closed"}')).toBe(1);
      expect(warnings).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('server-wide sampling defaults', () => {
  it('apply where a request leaves a parameter out or sends null, and lose to the request', async () => {
    const server = await createServer({ models: [{ source: demoModel(), name: 'demo' }], port: 0, backend: 'cpu', logger: quiet, defaults: { temperature: 0, maxTokens: 30 } });
    const url = await server.listen();
    try {
      const [greedy, sampled] = await referenceTexts(demoModel(), [
        { prompt: 'the ', seed: 1, maxNewTokens: 30, temperature: 0 },
        { prompt: 'the ', seed: 1, maxNewTokens: 50, temperature: 1 },
      ]);
      for (const body of [{ prompt: 'the ', seed: 1 }, { prompt: 'the ', seed: 1, temperature: null, max_tokens: null }]) {
        expect((await postJson<CompletionResponse>(`${url}/v1/completions`, body)).body.choices[0].text).toBe(greedy);
      }
      expect((await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'the ', seed: 1, temperature: 1, max_tokens: 50 })).body.choices[0].text).toBe(sampled);
    } finally {
      await server.close();
    }
    await expect(createServer({ models: [DEMO_MODEL_PATH], logger: quiet, defaults: { topP: 2 } })).rejects.toThrow(/defaults\.topP is 2; expected a number from 0 to 1/);
  });
});

describe('a model whose logits are not finite', () => {
  it('answers 500 naming the non-finite logits, streamed or not, instead of text sampled from NaN', async () => {
    const server = await createServer({ models: [{ source: smallModel('gru', 'fused', 1, true), name: 'nan' }], port: 0, backend: 'cpu', logger: quiet });
    const url = await server.listen();
    try {
      for (const seed of [1, 2]) {
        const response = await postJson<OpenAIErrorBody>(`${url}/v1/completions`, { prompt: 'the ', max_tokens: 20, seed });
        expect(response.status).toBe(500);
        expect(response.body.error.code).toBe('non_finite_logits');
        expect(response.body.error.message).toMatch(/non-finite logits .*NaN ×1 of 15/);
      }
      const stream = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'the ', max_tokens: 20, stream: true }) });
      const events = sseEvents(await stream.text());
      expect(events.at(-1)).toBe('[DONE]');
      expect(JSON.parse(events.at(-2)!).error.code).toBe('non_finite_logits');
      // No chunk claims the text ended normally.
      expect(events.slice(0, -2).some((e) => /"finish_reason":"(length|stop)"/.test(e))).toBe(false);
    } finally {
      await server.close();
    }
  });
});
