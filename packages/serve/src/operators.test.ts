import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { createServer, type CharServer, type ModelObject, type OpenAIErrorBody } from './index.js';
import { metricValue, until } from './test-helpers/http.js';
import { demoModel } from './test-helpers/models.js';

const quiet = { warn: () => undefined };
const KEY = 'sk-test-0123456789abcdef';

/** A raw request, so that a CORS preflight's headers are exactly what the test says. */
function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("operators' basics", () => {
  let server: CharServer;
  let url: string;
  const bytes = demoModel();

  beforeAll(async () => {
    server = await createServer({ models: [{ source: bytes, name: 'demo' }], port: 0, backend: 'cpu', logger: quiet, apiKeys: [KEY], corsOrigins: ['https://example.com'] });
    url = await server.listen();
  });
  afterAll(() => server.close());

  it('asks for the API key on /v1 only, and answers a missing or wrong one with OpenAI\'s 401', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const body = JSON.stringify({ prompt: 'the ', max_tokens: 5 });
    for (const authorization of [undefined, 'Bearer wrong-key-0123456789', `Basic ${KEY}`, `Bearer ${KEY}x`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) };
      const response = await fetch(`${url}/v1/completions`, { method: 'POST', headers, body });
      expect([authorization, response.status]).toEqual([authorization, 401]);
      expect(((await response.json()) as OpenAIErrorBody).error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
    }
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    const ok = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body });
    expect(ok.status).toBe(200);
    const wrong = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'not-the-key-0123456789', maxRetries: 0 });
    await expect(wrong.completions.create({ model: 'demo', prompt: 'a', max_tokens: 1 })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const right = new OpenAI({ baseURL: `${url}/v1`, apiKey: KEY, maxRetries: 0 });
    expect((await right.completions.create({ model: 'demo', prompt: 'a', max_tokens: 3 })).choices[0].text).toHaveLength(3);
  });

  it('answers a CORS preflight from an allowed origin without the key, and only that origin', async () => {
    const preflight = await raw(`${url}/v1/completions`, 'OPTIONS', {
      origin: 'https://example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://example.com');
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/authorization/);
    const other = await raw(`${url}/v1/completions`, 'OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const actual = await raw(`${url}/v1/completions`, 'POST', { origin: 'https://example.com', 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, '{"prompt":"a","max_tokens":2}');
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe('https://example.com');
    expect(String(actual.headers['access-control-expose-headers'])).toMatch(/x-charrnn-session/);
  });

  it('measures request latency, queue time, time to first character and time per character, and exports process_* metrics', async () => {
    const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
    const before = await metrics();
    const t0 = performance.now();
    const response = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: '{"prompt":"the ","max_tokens":50,"n":3}' });
    expect(response.status).toBe(200);
    await response.json();
    // A request is counted once its response has gone out, which the client may see first: the
    // server's own times lie between t0 and the moment it is counted, however busy the machine.
    await until(async () => (metricValue(await metrics(), 'charrnn_request_duration_seconds_count{route="/v1/completions"}') ?? 0) > (metricValue(before, 'charrnn_request_duration_seconds_count{route="/v1/completions"}') ?? 0), 60_000, 'the request to be counted');
    const elapsed = (performance.now() - t0) / 1000;
    const after = await metrics();
    const delta = (name: string): number => (metricValue(after, name) ?? 0) - (metricValue(before, name) ?? 0);
    expect(delta('charrnn_request_duration_seconds_count{route="/v1/completions"}')).toBe(1);
    expect(delta('charrnn_request_duration_seconds_sum{route="/v1/completions"}')).toBeLessThanOrEqual(elapsed);
    // One observation per stream (n = 3).
    for (const name of ['charrnn_queue_seconds', 'charrnn_time_to_first_token_seconds', 'charrnn_time_per_output_token_seconds']) {
      expect([name, delta(`${name}_count{model="demo"}`)]).toEqual([name, 3]);
    }
    // Each stream's first character came within the request; 49 gaps between 50 characters fit in it too.
    expect(delta('charrnn_time_to_first_token_seconds_sum{model="demo"}')).toBeLessThanOrEqual(3 * elapsed);
    expect(delta('charrnn_time_per_output_token_seconds_sum{model="demo"}') * 49).toBeLessThanOrEqual(3 * elapsed);
    expect(metricValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(10e6);
    expect(metricValue(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it("lists each model with its config and the SHA-256 of its file", async () => {
    const list = (await (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { data: ModelObject[] };
    expect(list.data).toHaveLength(1);
    const [entry] = list.data;
    expect(entry).toMatchObject({ id: 'demo', object: 'model', owned_by: 'charrnn' });
    expect(entry.charrnn).toMatchObject({ arch: 'gru', num_layers: 1, hidden_size: server.models[0].info.hiddenSize, vocab_size: server.models[0].info.vocabSize, graph: 'fused', backend: 'cpu' });
    expect(entry.charrnn.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses keys and origins that are not what they should be, without echoing a key', async () => {
    await expect(createServer({ models: [{ source: bytes, name: 'x' }], logger: quiet, apiKeys: ['short'] })).rejects.toThrow(/apiKeys\[0\] is a string of length 5; expected API keys of 16 to 256/);
    await expect(createServer({ models: [{ source: bytes, name: 'x' }], logger: quiet, corsOrigins: ['example.com/path'] })).rejects.toThrow(/corsOrigins\[0\] is "example.com\/path"/);
  });
});
