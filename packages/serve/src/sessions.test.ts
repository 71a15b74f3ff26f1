import { CharGenerator, type GeneratorSnapshot } from '@charrnn/infer-web/node';
import { createServer, resolveServerOptions, type CharServer, type CompletionResponse, type OpenAIErrorBody, type SessionObject } from './index.js';
import { getJson, postJson, rawStreamingRequest, until } from './test-helpers/http.js';
import { demoModel, smallModel } from './test-helpers/models.js';

const quiet = { warn: () => undefined };
/** Sessions' idle time runs on this clock, moved by the tests only: expiry does not depend on the machine's speed. */
const TTL_MS = 60_000;
let now = Date.UTC(2026, 0, 1);

describe('sessions', () => {
  let server: CharServer;
  let url: string;
  const bytes = demoModel();
  const complete = (body: object) => postJson<CompletionResponse & OpenAIErrorBody>(`${url}/v1/completions`, body);

  beforeAll(async () => {
    server = await createServer({
      models: [
        { source: bytes, name: 'demo' },
        { source: smallModel('lstm'), name: 'small' },
      ],
      port: 0,
      backend: 'cpu',
      logger: quiet,
      limits: { sessionTtlMs: TTL_MS },
      clock: () => now,
    });
    url = await server.listen();
  });
  afterAll(() => server.close());

  it('continues a text across requests exactly as one infer-web generator does across generate() calls', async () => {
    const generator = await CharGenerator.load(bytes, { backend: 'cpu' });
    const expected1 = await generator.generate('the meaning of life ', { seed: 1, maxNewTokens: 60 });
    const expected2 = await generator.generate(' and yet', { seed: 2, maxNewTokens: 80, temperature: 0.7 });
    const expected3 = await generator.generate('', { seed: 3, maxNewTokens: 30 });

    const first = await complete({ prompt: 'the meaning of life ', seed: 1, max_tokens: 60, session: true });
    expect(first.status).toBe(200);
    const id = first.body.session!;
    expect(id).toMatch(/^sess_[A-Za-z0-9_-]{32}$/);
    expect(first.headers.get('x-charrnn-session')).toBe(id);
    expect(first.body.choices[0].text).toBe(expected1);
    const second = await complete({ prompt: ' and yet', seed: 2, max_tokens: 80, temperature: 0.7, session: id });
    expect(second.body.choices[0].text).toBe(expected2);
    expect(second.body.session).toBe(id);
    const third = await complete({ prompt: '', seed: 3, max_tokens: 30, session: id });
    expect(third.body.choices[0].text).toBe(expected3);
    await generator.release();
  });

  it("exports the state in infer-web's snapshot format: setState() on a generator continues exactly as the server does", async () => {
    const first = await complete({ prompt: 'what is truth? ', seed: 5, max_tokens: 50, session: true });
    const id = first.body.session!;
    const snapshot = await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`);
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.format).toBe('charrnn-state/1');
    expect(snapshot.body.hiddenSize).toBe(server.models[0].info.hiddenSize);
    const asArrays = await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state?encoding=array`);
    expect(asArrays.body.h).toHaveLength(server.models[0].info.hiddenSize);
    const bogus = await getJson<OpenAIErrorBody>(`${url}/v1/sessions/${id}/state?encoding=bogus`);
    expect(bogus.status).toBe(400);
    expect(bogus.body.error).toMatchObject({ message: `encoding is "bogus"; expected 'base64' (the default) or 'array'`, param: 'encoding' });

    // No seed: both continue the random stream the first request left.
    const generator = await CharGenerator.load(bytes, { backend: 'cpu' });
    generator.setState(asArrays.body);
    const expected = await generator.generate('so ', { maxNewTokens: 100 });
    const continued = await complete({ prompt: 'so ', max_tokens: 100, session: id });
    expect(continued.body.choices[0].text).toBe(expected);
    // And the server's state now equals the generator's, bit for bit.
    const after = await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`);
    expect(after.body).toEqual(generator.getState());
    await generator.release();
  });

  it('imports a state into a new session (a fork) and into an existing one; both continue identically', async () => {
    const first = await complete({ prompt: 'god is dead. ', seed: 8, max_tokens: 40, session: true });
    const id = first.body.session!;
    const snapshot = (await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`)).body;
    const created = await postJson<SessionObject>(`${url}/v1/sessions`, { model: 'demo', state: snapshot });
    expect(created.status).toBe(201);
    expect(created.body.object).toBe('session');
    expect(created.body.id).not.toBe(id);
    const a = await complete({ prompt: 'we ', max_tokens: 60, session: id });
    const b = await complete({ prompt: 'we ', max_tokens: 60, session: created.body.id });
    expect(b.body.choices[0].text).toBe(a.body.choices[0].text);

    // PUT the saved state back into the first session: it replays its continuation.
    const put = await postJson<SessionObject>(`${url}/v1/sessions/${id}/state`, snapshot, 'PUT');
    expect(put.status).toBe(200);
    const again = await complete({ prompt: 'we ', max_tokens: 60, session: id });
    expect(again.body.choices[0].text).toBe(a.body.choices[0].text);
  });

  it('refuses snapshots that do not fit the model, naming the field', async () => {
    const id = (await postJson<SessionObject>(`${url}/v1/sessions`, { model: 'demo' })).body.id;
    const snapshot = (await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`)).body;
    const cases: [unknown, RegExp][] = [
      [{ ...snapshot, h: 'AAAA' }, /state\.h holds 3 bytes, expected 512/],
      [{ ...snapshot, hiddenSize: 12 }, /state\.hiddenSize is 12 but this model has 128/],
      [{ ...snapshot, format: 'x' }, /state\.format is "x"/],
      [{ ...snapshot, pending: [999] }, /state\.pending must be an array of token ids in \[0, 55\)/],
      [{ ...snapshot, rng: [1, 2] }, /state\.rng/],
    ];
    for (const [body, message] of cases) {
      const response = await postJson<OpenAIErrorBody>(`${url}/v1/sessions/${id}/state`, body, 'PUT');
      expect(response.status).toBe(400);
      expect(response.body.error.param).toBe('state');
      expect(response.body.error.message).toMatch(message);
    }
    const wrongModel = await postJson<OpenAIErrorBody>(`${url}/v1/sessions`, { model: 'small', state: snapshot });
    expect(wrongModel.status).toBe(400);
    expect(wrongModel.body.error.message).toMatch(/state\.arch is "gru" but this model has "lstm"/);
  });

  it('keeps sessions to their model, one request at a time, and one choice', async () => {
    const id = (await postJson<SessionObject>(`${url}/v1/sessions`, { model: 'demo' })).body.id;
    const mismatch = await complete({ model: 'small', prompt: 'a', session: id });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.param).toBe('model');
    const twoChoices = await complete({ prompt: 'a', n: 2, session: id });
    expect(twoChoices.status).toBe(400);
    expect(twoChoices.body.error.code).toBe('session_needs_one_choice');
    const empty = await complete({ prompt: '', session: id });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/session has no text yet/);

    const socket = rawStreamingRequest(url, { prompt: 'the ', max_tokens: 4096, stream: true, session: id });
    await until(async () => (await getJson<SessionObject>(`${url}/v1/sessions/${id}`)).body.busy, 2000, 'the session to be busy');
    const busy = await complete({ prompt: 'x', session: id });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('session_busy');
    const del = await fetch(`${url}/v1/sessions/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(409);
    socket.destroy();
    // The disconnect ends the request and gives the session back.
    await until(async () => !(await getJson<SessionObject>(`${url}/v1/sessions/${id}`)).body.busy, 2000, 'the session to be released');
    expect((await complete({ prompt: 'x', max_tokens: 3, session: id })).status).toBe(200);
  });

  it('counts the characters a session has read and written, and changes only when a request completes', async () => {
    // Both fields of POST /v1/sessions are optional: no body at all is a new session of the first model.
    const bare = await fetch(`${url}/v1/sessions`, { method: 'POST' });
    expect(bare.status).toBe(201);
    const created = (await bare.json()) as SessionObject;
    expect(created.model).toBe('demo');
    expect(created.length).toBe(0);
    const id = created.id;
    const generator = await CharGenerator.load(bytes, { backend: 'cpu' });
    await generator.generate('the will ', { seed: 4, maxNewTokens: 25 });
    const first = await complete({ prompt: 'the will ', seed: 4, max_tokens: 25, session: id });
    expect(first.status).toBe(200);
    expect((await getJson<SessionObject>(`${url}/v1/sessions/${id}`)).body.length).toBe(9 + 25);
    const saved = (await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`)).body;
    expect(saved.h).toEqual(generator.getState().h);

    // A streaming request cut by the client: whatever was generated before the server saw the
    // disconnect, the session stays where the last complete request left it.
    const socket = rawStreamingRequest(url, { prompt: ' to ', seed: 9, max_tokens: 4096, stream: true, session: id });
    let received = '';
    await new Promise<void>((resolve) => socket.on('data', (d: Buffer) => ((received += d.toString()), /"text":"[^"]/.test(received) && resolve())));
    socket.destroy();
    await until(async () => !(await getJson<SessionObject>(`${url}/v1/sessions/${id}`)).body.busy, 5000, 'the session to be released');
    expect((await getJson<SessionObject>(`${url}/v1/sessions/${id}`)).body.length).toBe(34);
    expect((await getJson<GeneratorSnapshot>(`${url}/v1/sessions/${id}/state`)).body).toEqual(saved);
    // So a retry continues from there, as the generator does.
    const expected = await generator.generate(' to ', { seed: 9, maxNewTokens: 40 });
    const retried = await complete({ prompt: ' to ', seed: 9, max_tokens: 40, session: id });
    expect(retried.body.choices[0].text).toBe(expected);
    expect((await getJson<SessionObject>(`${url}/v1/sessions/${id}`)).body.length).toBe(34 + 4 + 40);
    await generator.release();
  });

  it('deletes sessions, expires idle ones, and never hands out the same id twice', async () => {
    const id = (await postJson<SessionObject>(`${url}/v1/sessions`, {})).body.id;
    const del = await fetch(`${url}/v1/sessions/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ id, object: 'session', deleted: true });
    for (const path of [`/v1/sessions/${id}`, `/v1/sessions/${id}/state`]) {
      const gone = await getJson<OpenAIErrorBody>(`${url}${path}`);
      expect(gone.status).toBe(404);
      expect(gone.body.error.code).toBe('session_not_found');
    }
    expect((await complete({ prompt: 'a', session: id })).status).toBe(404);

    const idle = (await postJson<SessionObject>(`${url}/v1/sessions`, {})).body;
    expect([idle.last_used, idle.expires_at]).toEqual([now / 1000, (now + TTL_MS) / 1000]);
    // Idle for exactly the TTL: still there, and reading it counts as using it.
    now += TTL_MS;
    const read = await getJson<SessionObject>(`${url}/v1/sessions/${idle.id}`);
    expect([read.status, read.body.last_used, read.body.expires_at]).toEqual([200, now / 1000, (now + TTL_MS) / 1000]);
    now += TTL_MS;
    expect((await getJson(`${url}/v1/sessions/${idle.id}`)).status).toBe(200);
    // One millisecond longer: gone, for every route, with the TTL named.
    now += TTL_MS + 1;
    const expired = await getJson<OpenAIErrorBody>(`${url}/v1/sessions/${idle.id}`);
    expect([expired.status, expired.body.error.code]).toEqual([404, 'session_not_found']);
    expect(expired.body.error.message).toContain(`expired after ${TTL_MS} ms idle`);

    const ids = await Promise.all(Array.from({ length: 50 }, async () => (await postJson<SessionObject>(`${url}/v1/sessions`, {})).body.id));
    expect(new Set(ids).size).toBe(50);
    // 192 random bits each: no shared prefix beyond 'sess_' worth mentioning.
    const bytesOf = (s: string) => Buffer.from(s.slice(5), 'base64url');
    expect(ids.every((s) => bytesOf(s).length === 24)).toBe(true);
  });

  it('refuses a clock that is not a function, naming the option', () => {
    expect(() => resolveServerOptions({ models: ['model.onnx'], clock: 5 as unknown as () => number })).toThrow(
      'option clock is 5; expected a function returning milliseconds since the epoch',
    );
  });
});
