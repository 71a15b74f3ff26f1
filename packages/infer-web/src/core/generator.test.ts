import type { ModelInfo } from '@charrnn/contract';
import { CharGenerator } from './generator.js';
import { InvalidOptionError, InvalidPromptError, InvalidStateError, ModelFormatError, NonFiniteOutputError } from './errors.js';
import type { LogitsContext } from './logits-processors.js';
import { PRIME_CHUNK_CHARS } from './priming.js';
import { Rng } from './rng.js';
import type { RecurrentOutputs, RecurrentSession, Runtime } from './session.js';
import type { GeneratorSnapshot } from './state.js';
import { FakeSession, fakeInfo, referenceGreedy } from '../test-helpers/fake-session.js';
import { testModel, TEST_VOCAB } from '../test-helpers/models.js';
import { Tokenizer } from './tokenizer.js';

function make(seed = 7, info = fakeInfo()): { gen: CharGenerator; session: FakeSession } {
  const session = new FakeSession(info);
  return { gen: new CharGenerator(session, info, { seed }), session };
}

/** The fake model with a hook before and after each run (numbered from 1): to fail, abort or poison one. */
class HookedSession extends FakeSession {
  private runs = 0;
  constructor(
    info: ModelInfo,
    readonly hooks: { before?: (run: number) => void; after?: (run: number, out: RecurrentOutputs, batch: number) => void },
  ) {
    super(info);
  }
  override async run(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array, c0?: Float32Array): Promise<RecurrentOutputs> {
    const run = ++this.runs;
    this.hooks.before?.(run);
    const out = await super.run(tokens, seq, batch, h0, c0);
    this.hooks.after?.(run, out, batch);
    return out;
  }
}

/** The greedy continuation of `prompt` by the fake model, computed without the generator. */
function greedy(info: ModelInfo, prompt: string, n: number): string {
  const tokenizer = new Tokenizer(info.vocab, info.lower);
  return tokenizer.decode(referenceGreedy(info, tokenizer.encode(prompt), n));
}

/** What a promise rejects with; fails when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

/** A runtime that hands out the same model bytes for any path or URL and opens fake sessions, recording both. */
function stubRuntime(model: Uint8Array): Runtime & { reads: unknown[][]; opened: Uint8Array[]; sessions: FakeSession[] } {
  const reads: unknown[][] = [];
  const opened: Uint8Array[] = [];
  const sessions: FakeSession[] = [];
  return {
    name: 'stub',
    reads,
    opened,
    sessions,
    async readModel(source, onProgress, options) {
      reads.push([source, onProgress, options]);
      return model;
    },
    async createSession(bytes: Uint8Array, info: ModelInfo): Promise<RecurrentSession> {
      opened.push(bytes);
      sessions.push(new FakeSession(info));
      return sessions[sessions.length - 1];
    },
  };
}

const ABORTED = { text: '', newTokens: 0, finishReason: 'abort' } as const;

describe('CharGenerator over a fake session', () => {
  test('greedy generation equals an independent argmax loop', async () => {
    const { gen } = make();
    const text = await gen.generate('abc d', { temperature: 0, maxNewTokens: 40 });
    const expected = referenceGreedy(gen.info, gen.tokenizer.encode('abc d'), 40);
    expect(text).toBe(gen.tokenizer.decode(expected));
    expect(text).toHaveLength(40);
  });

  test('special tokens are never sampled unless suppressSpecialTokens is false', async () => {
    const hot = { temperature: 8, maxNewTokens: 3000, seed: 11 };
    const { gen } = make();
    const plain = await gen.generate('ab', hot);
    expect(plain).toHaveLength(3000);
    expect(plain).not.toContain('<unk>');
    gen.reset();
    const raw = await gen.generate('ab', { ...hot, suppressSpecialTokens: false });
    expect(raw.split('<unk>').length - 1).toBeGreaterThan(10);
    expect(() => gen.generate('ab', { suppressSpecialTokens: 'yes' as unknown as boolean })).toThrow(InvalidOptionError);
  });

  test('the prompt is primed in one run with seq = prompt length, then one run per character', async () => {
    const { gen, session } = make();
    await gen.generate('abcab', { temperature: 0, maxNewTokens: 4 });
    expect(session.calls.map((c) => [c.seq, c.batch])).toEqual([[5, 1], [1, 1], [1, 1], [1, 1]]);
    expect(session.calls[0].tokens).toEqual(gen.tokenizer.encode('abcab'));
  });

  test('the step graph primes one character per run', async () => {
    const { gen, session } = make(1, fakeInfo({ graph: 'step' }));
    const text = await gen.generate('abc', { temperature: 0, maxNewTokens: 3 });
    expect(session.calls.map((c) => c.seq)).toEqual([1, 1, 1, 1, 1]);
    expect(text).toBe(gen.tokenizer.decode(referenceGreedy(gen.info, gen.tokenizer.encode('abc'), 3)));
  });

  test('streams characters as an async iterable and reports the result', async () => {
    const { gen } = make();
    const chunks: string[] = [];
    const stream = gen.generate('ab', { maxNewTokens: 12, seed: 3 });
    for await (const chunk of stream) chunks.push(chunk);
    const result = await stream.result();
    expect(chunks).toHaveLength(12);
    expect(result).toEqual({ text: '', newTokens: 12, finishReason: 'length' }); // the chunks were the text
  });

  test('iterating keeps no copy of the text (constant memory); awaiting the whole result does', async () => {
    const { gen } = make();
    const stream = gen.generate('ab', { maxNewTokens: 50, seed: 3 });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk;
    expect(streamed).toHaveLength(50);
    expect(await stream.result()).toEqual({ text: '', newTokens: 50, finishReason: 'length' });
    gen.reset();
    expect(await gen.generate('ab', { maxNewTokens: 50, seed: 3 })).toBe(streamed);
    gen.reset();
    expect(await gen.generate('ab', { maxNewTokens: 50, seed: 3 }).result()).toEqual({ text: streamed, newTokens: 50, finishReason: 'length' });
    // A streamer with an awaited whole result gets both.
    gen.reset();
    const put: string[] = [];
    const whole = await gen.generate('ab', { maxNewTokens: 50, seed: 3, streamer: { put: (t) => put.push(t), end: () => undefined } });
    expect([whole, put.join('')]).toEqual([streamed, streamed]);
    // Batches alike.
    const batch = gen.generateBatch(['a', 'b'], { maxNewTokens: 10, seed: 1 });
    const rows = ['', ''];
    for await (const chunk of batch) chunk.forEach((text, i) => (rows[i] += text));
    expect((await batch.result()).map((r) => [r.text, r.newTokens])).toEqual([
      ['', 10],
      ['', 10],
    ]);
    expect(await gen.generateBatch(['a', 'b'], { maxNewTokens: 10, seed: 1 })).toEqual(rows);
  });

  test('a streamer receives the same chunks, then end()', async () => {
    const { gen } = make();
    const put: string[] = [];
    let ended = 0;
    const text = await gen.generate('ab', { maxNewTokens: 9, seed: 5, streamer: { put: (t) => put.push(t), end: () => ended++ } });
    expect(put.join('')).toBe(text);
    expect(put).toHaveLength(9);
    expect(ended).toBe(1);
  });

  test('a second generate continues the state exactly (split == one call)', async () => {
    const a = make(11).gen;
    const b = make(11).gen;
    const first = await a.generate('abc', { maxNewTokens: 15 });
    const second = await a.generate('', { maxNewTokens: 15 });
    const whole = await b.generate('abc', { maxNewTokens: 30 });
    expect(first + second).toBe(whole);
  });

  test('OOV prompt characters map to <unk>; upper case is lowered for a lower-cased vocab', () => {
    const { gen } = make();
    expect(gen.tokenizer.encode('AbZ')).toEqual([1, 2, 0]);
  });

  test('an empty prompt on a fresh state is refused', async () => {
    const { gen } = make();
    await expect(gen.generate('', { maxNewTokens: 3 })).rejects.toThrow(InvalidPromptError);
    // and the generator is still usable afterwards
    expect(await gen.generate('a', { maxNewTokens: 2 })).toHaveLength(2);
  });

  test('maxNewTokens 0 primes only; the next empty prompt samples from the primed logits', async () => {
    const a = make(2).gen;
    expect(await a.generate('abcd', { maxNewTokens: 0, temperature: 0 }).result()).toEqual({ text: '', newTokens: 0, finishReason: 'length' });
    const rest = await a.generate('', { maxNewTokens: 10, temperature: 0 });
    expect(rest).toBe(a.tokenizer.decode(referenceGreedy(a.info, a.tokenizer.encode('abcd'), 10)));
  });

  test('stop strings end generation right after the match (included)', async () => {
    const { gen } = make();
    const free = await gen.generate('ab', { temperature: 0, maxNewTokens: 60 });
    // pick a 2-char string that occurs in the free-running text and stop on it
    const stop = free.slice(10, 12);
    gen.reset();
    const stopped = gen.generate('ab', { temperature: 0, maxNewTokens: 60, stop: [stop] });
    const result = await stopped.result();
    expect(result.finishReason).toBe('stop');
    expect(result.text).toBe(free.slice(0, free.indexOf(stop) + 2));
  });

  test('AbortSignal ends generation at the next character and keeps the state consistent', async () => {
    const a = make(4).gen;
    const controller = new AbortController();
    const chunks: string[] = [];
    const stream = a.generate('ab', { maxNewTokens: 1000, signal: controller.signal, seed: 9 });
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunks.length === 5) controller.abort();
    }
    const result = await stream.result();
    expect(result.finishReason).toBe('abort');
    expect(chunks).toHaveLength(5);
    // continuing after the abort equals one uninterrupted greedy run from the same text
    const b = make(4).gen;
    const rest = await a.generate('', { maxNewTokens: 6, temperature: 0 });
    const whole = b.tokenizer.decode(referenceGreedy(b.info, b.tokenizer.encode('ab' + chunks.join('')), 6));
    expect(rest).toBe(whole);
    // an already-aborted signal produces nothing
    expect(await a.generate('a', { signal: controller.signal })).toBe('');
  });

  test('breaking out of the loop keeps what was produced as state', async () => {
    const a = make(8).gen;
    let seen = '';
    const stream = a.generate('abc', { temperature: 0, maxNewTokens: 50 });
    for await (const chunk of stream) {
      seen += chunk;
      if (seen.length === 7) break;
    }
    expect(await stream.result()).toEqual({ text: '', newTokens: 7, finishReason: 'abort' });
    const rest = await a.generate('', { temperature: 0, maxNewTokens: 5 });
    expect(seen + rest).toBe(a.tokenizer.decode(referenceGreedy(a.info, a.tokenizer.encode('abc'), 12)));
  });

  test('getState/setState round-trips through JSON (base64 and arrays) and continues identically', async () => {
    for (const encoding of ['base64', 'array'] as const) {
      const a = make(21).gen;
      await a.generate('abcde', { maxNewTokens: 8 });
      const snapshot = JSON.parse(JSON.stringify(a.getState({ encoding }))) as GeneratorSnapshot;
      const b = make(99).gen;
      b.setState(snapshot);
      expect(b.getState({ encoding })).toEqual(snapshot);
      const fromA = await a.generate('', { maxNewTokens: 20 });
      const fromB = await b.generate('', { maxNewTokens: 20 });
      expect(fromB).toBe(fromA);
    }
  });

  test('snapshots of another shape are refused with the field named', () => {
    const a = make().gen;
    const snapshot = a.getState();
    const other = make(1, fakeInfo({ hiddenSize: 5 })).gen;
    expect(() => other.setState(snapshot)).toThrow(/state.hiddenSize is 6 but this model has 5/);
    expect(() => a.setState({ ...snapshot, h: 'AAAA' })).toThrow(/state.h holds 3 bytes, expected 48/);
    expect(() => a.setState({ ...snapshot, pending: [99] })).toThrow(InvalidStateError);
  });

  test('snapshots holding NaN or ±Inf are refused, naming the field and the first bad entry', async () => {
    const a = make().gen;
    await a.generate('abc', { maxNewTokens: 0 });
    for (const encoding of ['array', 'base64'] as const) {
      const snapshot = a.getState({ encoding: 'array' });
      const h = [...(snapshot.h as number[])];
      h[7] = NaN;
      const logits = [...(snapshot.logits as number[])];
      logits[2] = -Infinity;
      const encode = (values: number[]) => (encoding === 'array' ? values : Buffer.from(Float32Array.from(values).buffer).toString('base64'));
      expect(() => a.setState({ ...snapshot, h: encode(h) })).toThrow(InvalidStateError);
      expect(() => a.setState({ ...snapshot, h: encode(h) })).toThrow('state.h[7] is NaN; a state holds finite numbers only (one from getState() of a working generator)');
      expect(() => a.setState({ ...snapshot, logits: encode(logits) })).toThrow('state.logits[2] is -Infinity');
    }
    // A NaN that went through JSON (a snapshot sent to a server and back) arrives as null.
    const viaJson = JSON.parse(JSON.stringify({ ...a.getState({ encoding: 'array' }), h: Object.assign([...(a.getState({ encoding: 'array' }).h as number[])], { 5: NaN }) }));
    expect(() => a.setState(viaJson)).toThrow(
      new InvalidStateError('state.h[5] is null, expected a finite number (JSON writes NaN and ±Infinity as null: the state was saved from a generator whose numbers were not finite)'),
    );
    expect(() => a.setState({ ...viaJson, h: [...viaJson.h.slice(0, 3), '0.5', ...viaJson.h.slice(4)] })).toThrow('state.h[3] is "0.5", expected a finite number');
    expect(() => a.setState({ ...viaJson, h: viaJson.h.slice(1) })).toThrow(/state\.h has \d+ entries, expected \d+ numbers/);
    // Refused before anything changed: the generator continues as if nothing happened.
    const b = make().gen;
    await b.generate('abc', { maxNewTokens: 0 });
    expect(await a.generate('', { temperature: 0, maxNewTokens: 5 })).toBe(await b.generate('', { temperature: 0, maxNewTokens: 5 }));
  });

  test('non-finite logits from the model stop generation with a named error, also when sampling at temperature 0 or in a batch', async () => {
    // A model that goes bad after a few characters (as NaN weights or an overflowing float16 state would).
    class PoisonedSession extends FakeSession {
      constructor(
        info: ReturnType<typeof fakeInfo>,
        readonly badFromCall = 4,
      ) {
        super(info);
      }
      override async run(...args: Parameters<FakeSession['run']>) {
        const out = await super.run(...args);
        if (this.calls.length >= this.badFromCall) out.logits.fill(NaN, out.logits.length - this.info.vocabSize * args[2]);
        return out;
      }
    }
    for (const temperature of [0, 1]) {
      const info = fakeInfo();
      const gen = new CharGenerator(new PoisonedSession(info), info, { seed: 1 });
      const chunks: string[] = [];
      const stream = gen.generate('ab', { maxNewTokens: 20, temperature });
      await expect(
        (async () => {
          for await (const chunk of stream) chunks.push(chunk);
        })(),
      ).rejects.toThrow(NonFiniteOutputError);
      expect(chunks).toHaveLength(3); // characters from the runs before the bad one
      await expect(gen.generate('', { maxNewTokens: 5, temperature })).rejects.toThrow(
        'the model produced non-finite logits for the next character (NaN ×10 of 10); its weights or its state hold NaN or ±Inf: reset() or setState() a good state, or re-export the model',
      );
    }
    const info = fakeInfo();
    const batch = new CharGenerator(new PoisonedSession(info), info, { seed: 1 });
    await expect(batch.generateBatch(['a', 'bc'], { maxNewTokens: 20 })).rejects.toThrow(/non-finite logits for the next character of row 0 \(NaN ×10 of 10\)/);
    // Priming that ends in NaN is caught too, before any character is sampled.
    const primed = new CharGenerator(new PoisonedSession(info, 3), info, { seed: 1 });
    expect(await primed.generate('a', { maxNewTokens: 2 })).toHaveLength(2);
    const chunks: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of primed.generate('abc', { maxNewTokens: 2 })) chunks.push(chunk);
      })(),
    ).rejects.toThrow(NonFiniteOutputError);
    expect(chunks).toEqual([]);
  });

  test('reset returns to the fresh state', async () => {
    const { gen } = make();
    const first = await gen.generate('abc', { temperature: 0, maxNewTokens: 10 });
    await gen.generate('dd', { temperature: 0, maxNewTokens: 10 });
    gen.reset();
    expect(await gen.generate('abc', { temperature: 0, maxNewTokens: 10 })).toBe(first);
  });

  test('fork branches: both branches continue identically from the fork point', async () => {
    const { gen, session } = make(13);
    await gen.generate('abc', { maxNewTokens: 5 });
    const child = gen.fork();
    const x = await gen.generate('', { maxNewTokens: 20 });
    const y = await child.generate('', { maxNewTokens: 20 });
    expect(y).toBe(x);
    await gen.release();
    expect(session.released).toBe(false);
    await child.release();
    expect(session.released).toBe(true);
    expect(() => child.generate('a')).toThrow(InvalidStateError);
  });

  test('concurrent generate calls are serialised and continue each other', async () => {
    const a = make(3).gen;
    const [x, y] = await Promise.all([
      a.generate('ab', { temperature: 0, maxNewTokens: 6 }).then((t) => t),
      a.generate('', { temperature: 0, maxNewTokens: 6 }).then((t) => t),
    ]);
    expect(x + y).toBe(a.tokenizer.decode(referenceGreedy(a.info, a.tokenizer.encode('ab'), 12)));
  });

  test('generateBatch: greedy rows equal single greedy runs; seeded row 0 equals generate', async () => {
    const prompts = ['abc', 'e', 'dd. a'];
    const { gen, session } = make(5);
    const texts = await gen.generateBatch(prompts, { temperature: 0, maxNewTokens: 15 });
    prompts.forEach((p, i) => expect(texts[i]).toBe(gen.tokenizer.decode(referenceGreedy(gen.info, gen.tokenizer.encode(p), 15))));
    expect(session.calls.filter((c) => c.batch === 3)).toHaveLength(14);
    const batch = await gen.generateBatch(['ab', 'cd'], { seed: 42, maxNewTokens: 25 });
    const single = await make(5).gen.generate('ab', { seed: 42, maxNewTokens: 25 });
    expect(batch[0]).toBe(single);
  });

  test('generateBatch primes equal-length prompts together in one run', async () => {
    const prompts = ['abc', 'e', 'bca'];
    const { gen, session } = make(5);
    const texts = await gen.generateBatch(prompts, { temperature: 0, maxNewTokens: 4 });
    expect(session.calls.slice(0, 2).map((c) => [c.seq, c.batch, c.tokens])).toEqual([
      [3, 2, [1, 2, 2, 3, 3, 1]], // time-major [seq, batch]: a b / b c / c a
      [1, 1, [5]],
    ]);
    expect(session.calls.slice(2).every((c) => c.seq === 1 && c.batch === 3)).toBe(true);
    prompts.forEach((p, i) => expect(texts[i]).toBe(gen.tokenizer.decode(referenceGreedy(gen.info, gen.tokenizer.encode(p), 4))));
  });

  test('generateBatch rows stop independently at their stop strings and the generator state is untouched', async () => {
    const { gen } = make(5);
    const before = gen.getState();
    const prompts = ['abc', 'e', 'dd. a', 'b'];
    // Greedy continuations without stop strings (the batch equals them, tested above):
    //   'abc' → " xea.cbea.cbea.cbea."   no stop string: 20 characters
    //   'e'   → "d.cxad.cbe\n…"          'xa', which spans two steps
    //   'dd. a' → "d.c e\n.cbe…"          '\n'
    //   'b'   → "adccxa.cbe\n…"          'xa' before '\n'
    const full = prompts.map((p) => gen.tokenizer.decode(referenceGreedy(gen.info, gen.tokenizer.encode(p), 20)));
    expect(full.map((t) => t.slice(0, 6))).toEqual([' xea.c', 'd.cxad', 'd.c e\n', 'adccxa']);
    const stream = gen.generateBatch(prompts, { temperature: 0, maxNewTokens: 20, stop: ['xa', '\n'] });
    const results = await stream.result();
    expect(results).toEqual([
      { text: full[0], newTokens: 20, finishReason: 'length' },
      { text: 'd.cxa', newTokens: 5, finishReason: 'stop' },
      { text: 'd.c e\n', newTokens: 6, finishReason: 'stop' },
      { text: 'adccxa', newTokens: 6, finishReason: 'stop' },
    ]);
    expect(gen.getState()).toEqual(before); // greedy: not even the random stream moved
    // Iterated: a row that stopped gives '' from then on, and the streamer never gets an empty chunk.
    const puts: [string, number][] = [];
    const streamer = { put: (text: string, row: number) => puts.push([text, row]), end: () => undefined };
    const iterated = gen.generateBatch(prompts, { temperature: 0, maxNewTokens: 20, stop: ['xa', '\n'], streamer });
    const chunks: string[][] = [];
    for await (const chunk of iterated) chunks.push(chunk);
    expect(chunks).toHaveLength(20);
    expect(chunks.map((c) => c[1])).toEqual([...'d.cxa', ...new Array<string>(15).fill('')]);
    prompts.forEach((_, b) => {
      expect(chunks.map((c) => c[b]).join('')).toBe(results[b].text);
      expect(puts.filter(([, row]) => row === b).map(([text]) => text)).toEqual(chunks.map((c) => c[b]).filter((t) => t !== ''));
    });
    expect(puts).toHaveLength(20 + 5 + 6 + 6);
    expect(await iterated.result()).toEqual(results.map((r) => ({ ...r, text: '' })));
  });

  test('bad options are refused synchronously with the option named', () => {
    const { gen } = make();
    expect(() => gen.generate('a', { temperature: -1 })).toThrow(/option temperature is -1; expected a finite number ≥ 0/);
    expect(() => gen.generate('a', { topK: 1.5 })).toThrow(InvalidOptionError);
    expect(() => gen.generate('a', { topP: 0 })).toThrow(/topP/);
    expect(() => gen.generate('a', { maxNewTokens: -2 })).toThrow(/maxNewTokens/);
    expect(() => gen.generate('a', { stop: [''] })).toThrow(/stop/);
    expect(() => gen.generate('a', { seed: -1 })).toThrow(/seed/);
    expect(() => gen.generate('a', { tempurature: 1 } as never)).toThrow(/unknown generation option 'tempurature'/);
    expect(() => gen.generateBatch([])).toThrow(InvalidPromptError);
  });

  test('a prompt that is not a string is refused, naming it', () => {
    const { gen } = make();
    expect(() => gen.generate(5 as unknown as string)).toThrow(InvalidPromptError);
    expect(() => gen.generate(5 as unknown as string)).toThrow('prompt is number; expected a string');
    expect(() => gen.generateBatch(['a', null as unknown as string])).toThrow(InvalidPromptError);
    expect(() => gen.generateBatch(['a', null as unknown as string])).toThrow('prompts[1] is object; expected a string');
    for (const prompts of [[], 'ab', undefined]) {
      expect(() => gen.generateBatch(prompts as unknown as string[])).toThrow(new InvalidPromptError('generateBatch needs a non-empty array of prompt strings'));
    }
  });
});

describe('CharGenerator: inputs, concurrency and release', () => {
  test('the constructor refuses a seed that is not a non-negative safe integer, naming it; 0 is a seed', async () => {
    const info = fakeInfo();
    for (const seed of [-1, 1.5, 2 ** 53, NaN]) {
      expect(() => new CharGenerator(new FakeSession(info), info, { seed })).toThrow(InvalidOptionError);
      expect(() => new CharGenerator(new FakeSession(info), info, { seed })).toThrow(`option seed is ${seed}; expected a non-negative safe integer`);
    }
    const zero = new CharGenerator(new FakeSession(info), info, { seed: 0 });
    const again = new CharGenerator(new FakeSession(info), info, { seed: 0 });
    expect(await zero.generate('ab', { maxNewTokens: 30 })).toBe(await again.generate('ab', { maxNewTokens: 30 }));
  });

  test('generate() with no arguments continues without new input, with the default options', async () => {
    const a = make(5).gen;
    const b = make(5).gen;
    await a.generate('abc', { maxNewTokens: 0 });
    await b.generate('abc', { maxNewTokens: 0 });
    const text = await a.generate();
    expect(text).toHaveLength(200);
    expect(text).toBe(await b.generate('', { maxNewTokens: 200, temperature: 1 }));
  });

  test('reset and setState are refused while a generation runs, saying what to do; allowed once it ended', async () => {
    const { gen } = make(6);
    const snapshot = gen.getState();
    const chunks = gen.generate('abc', { temperature: 0, maxNewTokens: 50 })[Symbol.asyncIterator]();
    expect((await chunks.next()).value).toBe(greedy(gen.info, 'abc', 1));
    expect(() => gen.reset()).toThrow(InvalidStateError);
    expect(() => gen.reset()).toThrow(new InvalidStateError('cannot reset while a generation is running; abort it (options.signal) and await it first'));
    expect(() => gen.setState(snapshot)).toThrow(new InvalidStateError('cannot setState while a generation is running; abort it (options.signal) and await it first'));
    await chunks.return!();
    gen.setState(snapshot);
    expect(await gen.generate('abc', { temperature: 0, maxNewTokens: 5 })).toBe(greedy(gen.info, 'abc', 5));
    gen.reset();
    expect(await gen.generate('abc', { temperature: 0, maxNewTokens: 5 })).toBe(greedy(gen.info, 'abc', 5));
  });

  test('release() twice counts once: the session stays open for the forks; a released generator refuses every call', async () => {
    const { gen, session } = make(2);
    await gen.generate('ab', { maxNewTokens: 3 });
    const child = gen.fork();
    await gen.release();
    await gen.release();
    expect(session.released).toBe(false);
    expect(await child.generate('', { maxNewTokens: 4 })).toHaveLength(4);
    const released = new InvalidStateError('this CharGenerator was released; load the model again');
    expect(() => gen.generate('a')).toThrow(released);
    expect(() => gen.generateBatch(['a'])).toThrow(released);
    expect(() => gen.fork()).toThrow(released);
    expect(() => gen.reset()).toThrow(released);
    expect(() => gen.setState(child.getState())).toThrow(released);
    await child.release();
    expect(session.released).toBe(true);
  });

  test('logits processors see the step within the call and the row', async () => {
    const seen: [number, number][] = [];
    const recorder = { process: (_logits: Float32Array, context: LogitsContext) => void seen.push([context.step, context.row]) };
    const { gen } = make(4);
    await gen.generate('ab', { maxNewTokens: 3, logitsProcessors: [recorder] });
    await gen.generate('', { maxNewTokens: 2, logitsProcessors: [recorder] });
    await gen.generateBatch(['a', 'bc'], { maxNewTokens: 2, logitsProcessors: [recorder] });
    expect(seen).toEqual([[0, 0], [1, 0], [2, 0], [0, 0], [1, 0], [0, 0], [0, 1], [1, 0], [1, 1]]);
  });

  test("logits processors see each row's generated ids, which the penalties use", async () => {
    const seen: string[] = [];
    const recorder = { process: (_logits: Float32Array, context: LogitsContext) => void seen.push(`${context.row}:${Array.from(context.generated).join(',')}`) };
    const { gen } = make(4);
    const tokenizer = new Tokenizer(gen.info.vocab, gen.info.lower);
    const texts = await gen.generateBatch(['a', 'bc'], { maxNewTokens: 3, logitsProcessors: [recorder], seed: 1 });
    const ids = texts.map((t) => tokenizer.encode(t));
    expect(seen).toEqual(['0:', '1:', `0:${ids[0][0]}`, `1:${ids[1][0]}`, `0:${ids[0].slice(0, 2).join(',')}`, `1:${ids[1].slice(0, 2).join(',')}`]);
    // Greedy with a frequency penalty far above any logit gap: no character comes twice until all
    // nine that can be generated (the vocabulary less <unk>) have come once.
    const plain = await make(4).gen.generate('a', { maxNewTokens: 9, temperature: 0 });
    expect(new Set(plain).size).toBeLessThan(9);
    const penalised = await make(4).gen.generate('a', { maxNewTokens: 9, temperature: 0, frequencyPenalty: 1000 });
    expect(new Set(penalised).size).toBe(9);
    const batch = await make(4).gen.generateBatch(['a', 'a'], { maxNewTokens: 9, temperature: 0, presencePenalty: 1000 });
    expect(batch).toEqual([penalised, penalised]);
  });

  test("a batch without a seed takes its seed from the generator's random stream, which moves on", async () => {
    const { gen } = make(5);
    const own = Rng.fromSeed(5); // the generator's stream: make() seeds it with 5
    const seeds = [own.nextUint32(), own.nextUint32()];
    const first = await gen.generateBatch(['ab', 'cd'], { maxNewTokens: 25 });
    expect(first).toEqual(await make(99).gen.generateBatch(['ab', 'cd'], { seed: seeds[0], maxNewTokens: 25 }));
    expect(first[0]).toBe(await make(99).gen.generate('ab', { seed: seeds[0], maxNewTokens: 25 }));
    const second = await gen.generateBatch(['ab', 'cd'], { maxNewTokens: 25 });
    expect(second).toEqual(await make(99).gen.generateBatch(['ab', 'cd'], { seed: seeds[1], maxNewTokens: 25 }));
    expect(second).not.toEqual(first);
  });

  test('an LSTM carries its cell state: single and batch greedy runs equal the reference, and a split call equals one call', async () => {
    const info = fakeInfo({ arch: 'lstm' });
    const { gen, session } = make(3, info);
    expect(await gen.generate('abc', { temperature: 0, maxNewTokens: 20 })).toBe(greedy(info, 'abc', 20));
    expect(greedy(info, 'abc', 20)).not.toBe(greedy(fakeInfo(), 'abc', 20)); // the cell state changes the text
    gen.reset();
    const first = await gen.generate('abc', { temperature: 0, maxNewTokens: 8 });
    expect(first + (await gen.generate('', { temperature: 0, maxNewTokens: 12 }))).toBe(greedy(info, 'abc', 20));
    gen.reset();
    const prompts = ['abc', 'e', 'dd. a'];
    expect(await gen.generateBatch(prompts, { temperature: 0, maxNewTokens: 15 })).toEqual(prompts.map((p) => greedy(info, p, 15)));
    expect(session.calls.at(-1)?.batch).toBe(3);
  });
});

describe('CharGenerator: aborts and failures', () => {
  test('an already-aborted signal primes nothing and reports abort for every row, even for an empty prompt on a fresh state; the prompt is kept pending, as a later abort keeps it', async () => {
    const { gen, session } = make(3);
    const signal = AbortSignal.abort();
    expect(await gen.generate('', { signal }).result()).toEqual(ABORTED);
    expect(gen.getState()).toEqual(make(3).gen.getState());
    // (greedy: a sampled batch would draw its seed from the generator's random stream first)
    expect(await gen.generateBatch(['abc', '', 'e'], { signal, temperature: 0 }).result()).toEqual([ABORTED, ABORTED, ABORTED]);
    expect(gen.getState()).toEqual(make(3).gen.getState()); // a batch's rows are copies
    expect(await gen.generate('ab', { signal }).result()).toEqual(ABORTED);
    expect(await gen.generate('c', { signal }).result()).toEqual(ABORTED);
    expect(session.calls).toEqual([]);
    expect(gen.getState().pending).toEqual(gen.tokenizer.encode('abc'));
    expect(await gen.generate('', { temperature: 0, maxNewTokens: 6 })).toBe(greedy(gen.info, 'abc', 6));
  });

  test('an abort while priming stops at the next chunk (or group of a batch): abort for every row, the rest of the prompt kept pending', async () => {
    const info = fakeInfo();
    const controller = new AbortController();
    const session = new HookedSession(info, { before: (run) => run === 1 && controller.abort() });
    const gen = new CharGenerator(session, info, { seed: 1 });
    const prompt = 'abc de.x'.repeat(80); // 640 characters: two chunks
    expect(await gen.generate(prompt, { signal: controller.signal, maxNewTokens: 5 }).result()).toEqual(ABORTED);
    expect(session.calls.map((c) => c.seq)).toEqual([PRIME_CHUNK_CHARS]);
    expect(gen.getState().pending).toEqual(gen.tokenizer.encode(prompt).slice(PRIME_CHUNK_CHARS));
    expect(await gen.generate('', { temperature: 0, maxNewTokens: 6 })).toBe(greedy(info, prompt, 6));
    // Prompts of different lengths prime in separate runs; the abort comes between them.
    const batchController = new AbortController();
    const batchSession = new HookedSession(info, { before: (run) => run === 1 && batchController.abort() });
    const batch = new CharGenerator(batchSession, info, { seed: 1 });
    expect(await batch.generateBatch(['ab', 'abc'], { signal: batchController.signal }).result()).toEqual([ABORTED, ABORTED]);
    expect(batchSession.calls.map((c) => [c.seq, c.batch])).toEqual([[2, 1]]);
  });

  test('a run that fails rejects the iterated stream and its result(); the state continues from the last good run', async () => {
    const info = fakeInfo();
    const lost = (failing: number) => (run: number) => {
      if (run === failing) throw new Error('device lost');
    };
    // Run 1 primes 'abc', runs 2–4 feed characters 1–3, run 5 (feeding character 4) fails.
    const gen = new CharGenerator(new HookedSession(info, { before: lost(5) }), info, { seed: 1 });
    const stream = gen.generate('abc', { temperature: 0, maxNewTokens: 20 });
    const chunks: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })(),
    ).rejects.toThrow('device lost');
    await expect(stream.result()).rejects.toThrow('device lost');
    expect(chunks.join('')).toBe(greedy(info, 'abc', 4));
    expect(gen.getState().pending).toEqual(gen.tokenizer.encode(greedy(info, 'abc', 4).slice(3)));
    expect(chunks.join('') + (await gen.generate('', { temperature: 0, maxNewTokens: 6 }))).toBe(greedy(info, 'abc', 10));
    // A batch alike (runs 1–2 prime the two lengths, run 4 feeds the second characters); its generator's state is untouched.
    const batch = new CharGenerator(new HookedSession(info, { before: lost(4) }), info, { seed: 1 });
    const before = batch.getState();
    const batchStream = batch.generateBatch(['abc', 'e'], { temperature: 0, maxNewTokens: 20 });
    const rows: string[][] = [];
    await expect(
      (async () => {
        for await (const chunk of batchStream) rows.push(chunk);
      })(),
    ).rejects.toThrow('device lost');
    await expect(batchStream.result()).rejects.toThrow('device lost');
    expect(rows).toEqual([0, 1].map((i) => [greedy(info, 'abc', 2)[i], greedy(info, 'e', 2)[i]]));
    expect(batch.getState()).toEqual(before);
  });

  test('a run that fails while priming keeps what was primed, and the rest of the prompt stays pending', async () => {
    const info = fakeInfo();
    const gen = new CharGenerator(
      new HookedSession(info, {
        before: (run) => {
          if (run === 2) throw new Error('device lost');
        },
      }),
      info,
      { seed: 1 },
    );
    const prompt = 'abc de.x'.repeat(80);
    expect((await rejectionOf(gen.generate(prompt, { temperature: 0, maxNewTokens: 5 }).result())).message).toBe('device lost');
    const state = gen.getState({ encoding: 'array' });
    expect(state.pending).toEqual(gen.tokenizer.encode(prompt).slice(PRIME_CHUNK_CHARS));
    expect(state.logits).toBeUndefined();
    expect(await gen.generate('', { temperature: 0, maxNewTokens: 8 })).toBe(greedy(info, prompt, 8));
  });

  test('non-finite logits are counted by kind over the whole row, and named by row in a batch', async () => {
    const info = fakeInfo();
    const V = info.vocabSize;
    // Run 3 (feeding the second character) gives +Infinity at id 4 and NaN at ids 5 and 9 of row `row`.
    const poisoned = (row: number) =>
      new HookedSession(info, {
        after: (run, out) => {
          if (run !== 3) return;
          out.logits[row * V + 4] = Infinity;
          out.logits[row * V + 5] = NaN;
          out.logits[row * V + V - 1] = NaN;
        },
      });
    const rest = 'its weights or its state hold NaN or ±Inf: reset() or setState() a good state, or re-export the model';
    const single = new CharGenerator(poisoned(0), info, { seed: 1 });
    const error = await rejectionOf(single.generate('ab', { maxNewTokens: 10 }).result());
    expect(error).toBeInstanceOf(NonFiniteOutputError);
    expect(error.message).toBe(`the model produced non-finite logits for the next character (Infinity ×1, NaN ×2 of 10); ${rest}`);
    const batch = new CharGenerator(poisoned(1), info, { seed: 1 });
    expect((await rejectionOf(batch.generateBatch(['ab', 'cd'], { maxNewTokens: 10 }).result())).message).toBe(
      `the model produced non-finite logits for the next character of row 1 (Infinity ×1, NaN ×2 of 10); ${rest}`,
    );
  });

  test('a row that has stopped is not checked any more: its logits may go bad while the other rows continue', async () => {
    const info = fakeInfo();
    const V = info.vocabSize;
    // Runs 1–2 prime 'e' and 'abc'; 'e' stops at its 5th character ('d.cxa'), sampled before run 7.
    let poisoned = 0;
    const session = new HookedSession(info, {
      after: (run, out) => {
        if (run < 7) return;
        out.logits.fill(NaN, 0, V);
        poisoned++;
      },
    });
    const gen = new CharGenerator(session, info, { seed: 1 });
    expect(await gen.generateBatch(['e', 'abc'], { temperature: 0, maxNewTokens: 12, stop: ['xa'] }).result()).toEqual([
      { text: 'd.cxa', newTokens: 5, finishReason: 'stop' },
      { text: greedy(info, 'abc', 12), newTokens: 12, finishReason: 'length' },
    ]);
    expect(poisoned).toBe(7); // runs 7–13
  });
});

describe('CharGenerator.load through a runtime (a stub that opens fake sessions)', () => {
  const model = testModel('gru', { hiddenSize: 4, numLayers: 1 });

  test('a path or URL is read through the runtime with the idle timeout (default 30 s) and the progress callback; bytes are used as they are', async () => {
    const runtime = stubRuntime(model);
    const onProgress = (): void => undefined;
    const gen = await CharGenerator.load('https://site.test/m.onnx', { runtime, onProgress, seed: 3 });
    expect(runtime.reads).toEqual([['https://site.test/m.onnx', onProgress, { idleTimeoutMs: 30_000 }]]);
    expect(runtime.opened).toEqual([model]);
    expect(gen.backend).toBe('fake');
    expect(gen.info).toMatchObject({ arch: 'gru', vocab: TEST_VOCAB, vocabSize: TEST_VOCAB.length, hiddenSize: 4, numLayers: 1 });
    // The generator runs the session the runtime opened, with the seed given.
    const direct = new CharGenerator(new FakeSession(gen.info), gen.info, { seed: 3 });
    expect(await gen.generate('hat', { maxNewTokens: 30 })).toBe(await direct.generate('hat', { maxNewTokens: 30 }));
    expect(runtime.sessions[0].calls).toHaveLength(30); // one priming run, 29 feeding runs
    const url = new URL('https://site.test/n.onnx');
    await CharGenerator.load(url, { runtime, idleTimeoutMs: 1.5 });
    expect(runtime.reads[1]).toEqual([url, undefined, { idleTimeoutMs: 1.5 }]);
    await CharGenerator.load(model, { runtime });
    await CharGenerator.load(new Uint8Array(model).buffer, { runtime }); // (testModel gives a Buffer, a view into a pool)
    expect(runtime.reads).toHaveLength(2);
    expect(runtime.opened).toEqual([model, model, model, model]);
  });

  test('bad options are refused before anything is read, naming the option', async () => {
    const runtime = stubRuntime(model);
    const noRuntime = await rejectionOf(CharGenerator.load(model));
    expect(noRuntime).toBeInstanceOf(InvalidOptionError);
    expect(noRuntime.message).toBe("no runtime: import CharGenerator from '@charrnn/infer-web' (browsers) or '@charrnn/infer-web/node', or pass options.runtime");
    for (const idleTimeoutMs of [0, -5, NaN, Infinity, '5']) {
      const error = await rejectionOf(CharGenerator.load('m.onnx', { runtime, idleTimeoutMs: idleTimeoutMs as number }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.message).toBe(`option idleTimeoutMs is ${String(idleTimeoutMs)}; expected a positive number of milliseconds`);
    }
    const seed = await rejectionOf(CharGenerator.load('m.onnx', { runtime, seed: -2 }));
    expect([seed.constructor, seed.message]).toEqual([InvalidOptionError, 'option seed is -2; expected a non-negative safe integer']);
    expect([runtime.reads, runtime.opened]).toEqual([[], []]);
  });

  test('text where the model should be is refused, naming the source and what the text looks like', async () => {
    const page = new TextEncoder().encode('<!DOCTYPE html>\n<html><body>Not found</body></html>');
    const pointer = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n');
    const runtime = stubRuntime(page);
    const cases: [Promise<CharGenerator>, string][] = [
      [CharGenerator.load('https://site.test/model', { runtime }), 'model https://site.test/model starts with `<!DOCTYPE html>`: not an ONNX file (a web page: use the URL of the file itself)'],
      [CharGenerator.load(new URL('https://site.test/m.onnx'), { runtime }), 'model https://site.test/m.onnx starts with `<!DOCTYPE html>`: not an ONNX file (a web page: use the URL of the file itself)'],
      [CharGenerator.load(pointer, { runtime }), 'model bytes start with `version https://git-lfs.github.com/spec/v1`: not an ONNX file (a Git LFS pointer: fetch the file it points to)'],
      [CharGenerator.load(new TextEncoder().encode('{"error": "no such file"}'), { runtime }), 'model bytes start with `{"error": "no such file"}`: not an ONNX file'],
    ];
    for (const [loading, message] of cases) {
      const error = await rejectionOf(loading);
      expect(error).toBeInstanceOf(ModelFormatError);
      expect(error.message).toBe(message);
    }
    expect(runtime.opened).toEqual([]);
  });
});
