import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CharGenerator, type GeneratorSnapshot } from '@charrnn/infer-web/node';
import { createServer, type CompletionResponse, type OpenAIErrorBody, type SessionObject } from './index.js';
import { getJson, postJson, rawStreamingRequest, sseEvents, until } from './test-helpers/http.js';
import { demoModel, referenceTexts, smallModel } from './test-helpers/models.js';

const quiet = { warn: () => undefined };
const LONG = 10_000_000;

async function streamText(url: string, body: object): Promise<string[]> {
  const response = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  return sseEvents(await response.text());
}

function choiceText(events: readonly string[]): { text: string; finishes: (string | null)[] } {
  let text = '';
  const finishes: (string | null)[] = [];
  for (const e of events) {
    if (e === '[DONE]') continue;
    const chunk = JSON.parse(e) as { choices?: { text: string; finish_reason: string | null }[] };
    for (const c of chunk.choices ?? []) {
      text += c.text;
      finishes.push(c.finish_reason);
    }
  }
  return { text, finishes };
}

describe('draining on close (what SIGTERM does)', () => {
  it('answers new requests 503 at once, lets running ones finish, and keeps listening until they have', async () => {
    const bytes = demoModel();
    const server = await createServer({ models: [{ source: bytes, name: 'demo' }], port: 0, backend: 'cpu', logger: quiet, limits: { maxTokens: LONG } });
    const url = await server.listen();
    const [expected] = await referenceTexts(bytes, [{ prompt: 'the ', seed: 1, maxNewTokens: 300 }]);
    // A request the test ends itself (by disconnecting), so the drain lasts exactly as long as the test needs.
    const held = rawStreamingRequest(url, { prompt: 'a ', max_tokens: LONG, stream: true });
    await new Promise<void>((resolve) => held.once('data', () => resolve()));
    const short = streamText(url, { prompt: 'the ', seed: 1, max_tokens: 300 });
    await until(async () => (await getJson<{ models: { active_streams: number }[] }>(`${url}/health`)).body.models[0].active_streams === 2, 10_000, 'two streams');

    const closing = server.close({ drainSeconds: 600 });
    const refused = await postJson<OpenAIErrorBody>(`${url}/v1/completions`, { prompt: 'x', max_tokens: 5 });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('server_closing');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('connection')).toBe('close');
    expect((await fetch(`${url}/v1/sessions`, { method: 'POST' })).status).toBe(503);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'closing' });

    // The running request completes during the drain, in full.
    const { text, finishes } = choiceText(await short);
    expect(text).toBe(expected);
    expect(finishes.at(-1)).toBe('length');
    held.destroy();
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('ends what still runs when the drain is over with an error that says so, never a 200 or a normal finish', async () => {
    const server = await createServer({ models: [{ source: demoModel(), name: 'demo' }], port: 0, backend: 'cpu', logger: quiet, limits: { maxTokens: LONG } });
    const url = await server.listen();
    const streamed = streamText(url, { prompt: 'the ', max_tokens: LONG, n: 2 });
    const plain = postJson<OpenAIErrorBody>(`${url}/v1/completions`, { prompt: 'a ', max_tokens: LONG });
    await until(async () => (await getJson<{ models: { active_streams: number }[] }>(`${url}/health`)).body.models[0].active_streams === 3, 10_000, 'three streams');
    await server.close({ drainSeconds: 0 });

    const events = await streamed;
    expect(events.at(-1)).toBe('[DONE]');
    expect(JSON.parse(events.at(-2)!).error).toMatchObject({ code: 'server_closing', type: 'server_error' });
    expect(JSON.parse(events.at(-2)!).error.message).toMatch(/shut down before this request finished/);
    const { finishes } = choiceText(events.slice(0, -2));
    expect(finishes.filter((f) => f !== null).sort()).toEqual(['abort', 'abort']);
    const response = await plain;
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('server_closing');
  });
});

describe('sessions kept across restarts (sessionDir)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'charrnn-sessions-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('saves every session on close and restores them on start, continuing exactly; a different model is refused', async () => {
    const bytes = demoModel();
    const options = { models: [{ source: bytes, name: 'demo' }], port: 0, backend: 'cpu' as const, logger: quiet, sessionDir: dir };
    const first = await createServer(options);
    let url = await first.listen();
    const a = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'the meaning of life ', seed: 1, max_tokens: 60, session: true });
    const id = a.body.session!;
    const b = (await postJson<SessionObject>(`${url}/v1/sessions`, {})).body.id;
    const before = (await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`)).body;
    await first.close();
    const saved = JSON.parse(await readFile(path.join(dir, 'sessions.json'), 'utf8')) as { format: string; sessions: { id: string }[]; models: Record<string, string> };
    expect(saved.format).toBe('charrnn-sessions/1');
    expect(saved.sessions.map((s) => s.id).sort()).toEqual([id, b].sort());
    expect(saved.models.demo).toMatch(/^[0-9a-f]{64}$/);

    const second = await createServer(options);
    url = await second.listen();
    try {
      const restored = (await getJson<SessionObject>(`${url}/v1/sessions/${id}`)).body;
      expect(restored.length).toBe(20 + 60);
      expect((await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`)).body).toEqual(before);
      // The continuation (no seed: the session's own random stream) is what a generator given the saved state writes.
      const generator = await CharGenerator.load(bytes, { backend: 'cpu' });
      generator.setState(before);
      const expected = await generator.generate('and ', { maxNewTokens: 80 });
      await generator.release();
      const continued = await postJson<CompletionResponse>(`${url}/v1/completions`, { prompt: 'and ', max_tokens: 80, session: id });
      expect(continued.body.choices[0].text).toBe(expected);
      expect((await getJson(`${url}/v1/sessions/${b}`)).status).toBe(200);
    } finally {
      await second.close();
    }

    await expect(createServer({ ...options, models: [{ source: smallModel('gru'), name: 'demo' }] })).rejects.toThrow(
      /cannot restore the sessions in .*sessions\.json: model "demo" is not the model its sessions were saved with .* move the file away/,
    );
    await expect(createServer({ ...options, models: [{ source: bytes, name: 'other' }] })).rejects.toThrow(/sessions of model "demo" need that model, which this server does not serve/);
  });

  it('also saves on an interval while it runs, so a crash loses at most that much', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'charrnn-sessions-interval-'));
    const server = await createServer({ models: [{ source: demoModel(), name: 'demo' }], port: 0, backend: 'cpu', logger: quiet, sessionDir: own, sessionSaveSeconds: 1 });
    try {
      const url = await server.listen();
      const id = (await postJson<SessionObject>(`${url}/v1/sessions`, {})).body.id;
      const saved = async (): Promise<string[]> =>
        readFile(path.join(own, 'sessions.json'), 'utf8').then(
          (text) => (JSON.parse(text) as { sessions: { id: string }[] }).sessions.map((s) => s.id),
          () => [],
        );
      // Bounded wait for the first save after the session exists (the interval is 1 s).
      await until(async () => (await saved()).includes(id), 15_000, 'an interval save');
      expect(await saved()).toEqual([id]);
    } finally {
      await server.close();
      await rm(own, { recursive: true, force: true });
    }
  });
});
