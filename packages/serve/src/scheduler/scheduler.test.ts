import { emptyStreamState, Rng, type StreamState } from '@charrnn/infer-web/node';
import { TooManyRequestsError } from '../errors.js';
import { demoModel, openModel, referenceTexts, smallModel, type OpenModel, type ReferenceCase } from '../test-helpers/models.js';
import { NO_OBSERVER, Scheduler, type SchedulerObserver, type SchedulerOptions } from './scheduler.js';
import type { StreamResult, StreamSink, StreamSpec } from './stream.js';

const OPTIONS: SchedulerOptions = { maxStreams: 64, maxQueue: 256, primeChars: 256, flushIntervalMs: 1 };

interface Collected {
  sink: StreamSink;
  chunks: string[];
  result: Promise<StreamResult>;
}

function collect(block?: (chunks: string[]) => boolean): Collected {
  const chunks: string[] = [];
  let resolve!: (r: StreamResult) => void;
  const result = new Promise<StreamResult>((r) => (resolve = r));
  return {
    chunks,
    result,
    sink: {
      push(text) {
        chunks.push(text);
        return block === undefined ? true : !block(chunks);
      },
      end: resolve,
    },
  };
}

/**
 * An observer of decode steps: the batch of each, and `afterStep(n)`, which resolves once n steps
 * are done, so that a test submits later requests at a known step instead of after a few ms (which
 * a fast machine spends finishing the first requests and a busy one spends before the first step).
 */
function stepWatcher(): { observer: SchedulerObserver; batches: number[]; afterStep: (n: number) => Promise<void> } {
  const batches: number[] = [];
  const waiting: { step: number; resolve: () => void }[] = [];
  const observer: SchedulerObserver = {
    ...NO_OBSERVER,
    step(batch) {
      batches.push(batch);
      for (const w of waiting) if (w.step <= batches.length) w.resolve();
    },
  };
  const afterStep = (n: number) => new Promise<void>((resolve) => (batches.length >= n ? resolve() : waiting.push({ step: n, resolve })));
  return { observer, batches, afterStep };
}

function spec(model: OpenModel, c: ReferenceCase, sink: StreamSink, state: StreamState = emptyStreamState(model.info)): StreamSpec {
  return {
    prompt: model.tokenizer.encode(c.prompt),
    state,
    rng: Rng.fromSeed(c.seed, 0),
    sampling: { temperature: c.temperature ?? 1, topK: c.topK ?? 0, topP: c.topP ?? 1, minP: 0, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1 },
    maxTokens: c.maxNewTokens,
    stop: c.stop ?? [],
    sink,
  };
}

const PROMPTS = ['the meaning of life is ', 'what is truth? ', 'i', 'morality is the herd instinct in the individual. ', 'god is dead', '\n'];

/** 64 requests with different prompts, seeds, lengths and sampling settings. */
function cases(count: number): ReferenceCase[] {
  return Array.from({ length: count }, (_, i) => ({
    prompt: PROMPTS[i % PROMPTS.length].repeat(1 + (i % 3)),
    seed: 1000 + i * 7919,
    maxNewTokens: 20 + ((i * 37) % 90),
    temperature: [1, 0.8, 0, 1.3][i % 4],
    topP: i % 5 === 0 ? 0.9 : 1,
    topK: i % 7 === 0 ? 5 : 0,
    stop: i % 6 === 0 ? ['. '] : undefined,
  }));
}

describe('Scheduler (continuous batching) on the demo model', () => {
  let bytes: Uint8Array;
  let model: OpenModel;
  beforeAll(async () => {
    bytes = demoModel();
    model = await openModel(bytes);
  });
  afterAll(() => model.session.release());

  it("gives each request the text infer-web's generate() gives it alone, with 64 requests joining and leaving", async () => {
    const all = cases(64);
    const expected = await referenceTexts(bytes, all);
    // Real text: the demo model writes words, not one repeated character.
    expect(new Set(expected.join('')).size).toBeGreaterThan(15);
    const scheduler = new Scheduler(model.session, model.info, model.tokenizer, OPTIONS);
    const alone = collect();
    scheduler.submit([spec(model, all[0], alone.sink)]);
    expect((await alone.result).text).toBe(expected[0]);

    // Three waves: later requests join while earlier ones are mid-generation, so the batch changes
    // size every few steps, and prompts are primed between steps.
    const collected = all.map(() => collect());
    const { observer, batches, afterStep } = stepWatcher();
    const observed = new Scheduler(model.session, model.info, model.tokenizer, OPTIONS, observer);
    observed.submit(all.slice(0, 20).map((c, i) => spec(model, c, collected[i].sink)));
    await afterStep(3);
    observed.submit(all.slice(20, 45).map((c, i) => spec(model, c, collected[20 + i].sink)));
    await afterStep(10);
    observed.submit(all.slice(45).map((c, i) => spec(model, c, collected[45 + i].sink)));
    const results = await Promise.all(collected.map((c) => c.result));
    results.forEach((r, i) => {
      // infer-web keeps the stop string; the scheduler leaves it out, streamed or not.
      const stopped = expected[i].length < all[i].maxNewTokens;
      const want = stopped ? expected[i].slice(0, -'. '.length) : expected[i];
      expect(r.text).toBe(want);
      expect(collected[i].chunks.join('')).toBe(want);
      expect(r.tokens).toBe(expected[i].length);
      expect(r.reason).toBe(stopped ? 'stop' : 'length');
    });
    // Batched: far fewer steps than characters; each wave joined while the earlier ones generated
    // (every request asks for 20 characters or more), so a step ran more streams than any wave has.
    const chars = results.reduce((n, r) => n + r.tokens, 0);
    expect(batches.length).toBeLessThan(chars / 4);
    expect(Math.max(...batches)).toBeGreaterThan(45);
  });

  it('primes a 2,000-character prompt in bounded chunks while another stream keeps generating', async () => {
    const long: ReferenceCase = { prompt: 'the will to power is the essence of life. '.repeat(48), seed: 5, maxNewTokens: 50, temperature: 0.7 };
    const short: ReferenceCase = { prompt: 'what ', seed: 6, maxNewTokens: 400 };
    const [expectLong, expectShort] = await referenceTexts(bytes, [long, short]);
    const runs: { seq: number; batch: number }[] = [];
    const session = model.session;
    const spy = { backend: session.backend, release: () => session.release(), run: (t: BigInt64Array, seq: number, batch: number, h: Float32Array, c?: Float32Array) => (runs.push({ seq, batch }), session.run(t, seq, batch, h, c)) };
    const { observer, afterStep } = stepWatcher();
    const scheduler = new Scheduler(spy, model.info, model.tokenizer, { ...OPTIONS, primeChars: 128 }, observer);
    const a = collect();
    const b = collect();
    scheduler.submit([spec(model, short, a.sink)]);
    // The long prompt arrives while the short one generates (its 400 characters take 400 steps).
    await afterStep(1);
    scheduler.submit([spec(model, long, b.sink)]);
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.text).toBe(expectShort);
    expect(rb.text).toBe(expectLong);
    // No priming run longer than 128 ids, and decode steps ran between them.
    expect(Math.max(...runs.map((r) => r.seq * r.batch))).toBeLessThanOrEqual(128);
    const firstPrime = runs.findIndex((r) => r.seq > 1);
    const lastPrime = runs.length - 1 - [...runs].reverse().findIndex((r) => r.seq > 1);
    expect(lastPrime - firstPrime).toBeGreaterThan(10);
    const between = runs.slice(firstPrime, lastPrime).filter((r) => r.seq === 1).length;
    expect(between).toBeGreaterThanOrEqual(Math.ceil(long.prompt.length / 128) - 2);
  });

  it('pauses a stream whose sink is full (backpressure) and resumes it without changing its text', async () => {
    const c: ReferenceCase = { prompt: 'the ', seed: 11, maxNewTokens: 300 };
    const other: ReferenceCase = { prompt: 'a ', seed: 12, maxNewTokens: 300 };
    const [expected, expectedOther] = await referenceTexts(bytes, [c, other]);
    const scheduler = new Scheduler(model.session, model.info, model.tokenizer, OPTIONS);
    let blocked = false;
    const slow = collect(() => {
      blocked = true;
      return true; // full after the first push
    });
    const fast = collect();
    const [stream] = scheduler.submit([spec(model, c, slow.sink)]);
    scheduler.submit([spec(model, other, fast.sink)]);
    await fast.result;
    // While paused, the slow stream produced nothing beyond its first chunk.
    expect(blocked).toBe(true);
    expect(slow.chunks.length).toBe(1);
    expect(slow.chunks[0].length).toBeLessThan(300);
    expect(stream.blocked).toBe(true);
    expect(scheduler.activeStreams).toBe(1);
    scheduler.resume(stream);
    // It fills again at once; resume on every push until done.
    const timer = setInterval(() => scheduler.resume(stream), 1);
    const result = await slow.result;
    clearInterval(timer);
    expect(result.text).toBe(expected);
    expect((await fast.result).text).toBe(expectedOther);
  });

  it('frees a cancelled stream at once for the queue, keeps its state consistent, and refuses work beyond the queue', async () => {
    const scheduler = new Scheduler(model.session, model.info, model.tokenizer, { ...OPTIONS, maxStreams: 2, maxQueue: 1 });
    const a = collect();
    const b = collect();
    const q = collect();
    const [sa] = scheduler.submit([spec(model, { prompt: 'a', seed: 1, maxNewTokens: 4000 }, a.sink)]);
    scheduler.submit([spec(model, { prompt: 'b', seed: 2, maxNewTokens: 4000 }, b.sink)]);
    const [sq] = scheduler.submit([spec(model, { prompt: 'q', seed: 3, maxNewTokens: 5 }, q.sink)]);
    expect(() => scheduler.submit([spec(model, { prompt: 'x', seed: 4, maxNewTokens: 5 }, collect().sink)])).toThrow(TooManyRequestsError);
    while (a.chunks.length === 0) await new Promise((r) => setTimeout(r, 1));
    expect(scheduler.queuedStreams).toBe(1);
    scheduler.cancel(sa, 'cancelled');
    const ra = await a.result;
    expect(ra.reason).toBe('cancelled');
    expect(ra.tokens).toBeGreaterThan(0);
    expect(ra.tokens).toBeLessThan(4000);
    // The state says exactly how to continue: the last sample is pending, or the logits are fresh.
    expect(ra.state.pending.length + (ra.state.logits === undefined ? 0 : 1)).toBe(1);
    expect((await q.result).tokens).toBe(5);
    expect(sq.ended).toBe(true);
    await scheduler.close();
    expect((await b.result).reason).toBe('cancelled');
    expect(scheduler.activeStreams).toBe(0);
  });

  it('max_tokens 0 primes only and leaves fresh logits; the next stream continues from that state', async () => {
    const scheduler = new Scheduler(model.session, model.info, model.tokenizer, OPTIONS);
    const first = collect();
    scheduler.submit([spec(model, { prompt: 'the meaning of ', seed: 9, maxNewTokens: 0 }, first.sink)]);
    const r1 = await first.result;
    expect(r1.tokens).toBe(0);
    expect(r1.state.logits).toHaveLength(model.info.vocabSize);
    const second = collect();
    scheduler.submit([spec(model, { prompt: '', seed: 9, maxNewTokens: 60 }, second.sink, r1.state)]);
    const [expected] = await referenceTexts(bytes, [{ prompt: 'the meaning of ', seed: 9, maxNewTokens: 60 }]);
    expect((await second.result).text).toBe(expected);
  });
});

describe.each([
  ['lstm', 'fused'],
  ['gru', 'step'],
  ['rnn', 'fused'],
] as const)('Scheduler on a 2-layer %s (%s graph)', (arch, graph) => {
  it('gives the same text batched as alone', async () => {
    const bytes = smallModel(arch, graph);
    const model = await openModel(bytes);
    const all: ReferenceCase[] = Array.from({ length: 24 }, (_, i) => ({
      prompt: ['the ', 'a cat sat. ', 'e', 'nothing is done.\n'][i % 4],
      seed: 77 + i,
      maxNewTokens: 10 + i * 3,
      temperature: i % 3 === 0 ? 0 : 1,
    }));
    const expected = await referenceTexts(bytes, all);
    const { observer, batches, afterStep } = stepWatcher();
    const scheduler = new Scheduler(model.session, model.info, model.tokenizer, OPTIONS, observer);
    const collected = all.map(() => collect());
    scheduler.submit(all.slice(0, 12).map((c, i) => spec(model, c, collected[i].sink)));
    // The second half joins at the third step, while all of the first half generates (10 or more characters each).
    await afterStep(3);
    scheduler.submit(all.slice(12).map((c, i) => spec(model, c, collected[12 + i].sink)));
    const texts = (await Promise.all(collected.map((c) => c.result))).map((r) => r.text);
    expect(texts).toEqual(expected);
    expect(Math.max(...batches)).toBeGreaterThan(12);
    await model.session.release();
  });
});
