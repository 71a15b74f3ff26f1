import { CharGenerator } from './generator.js';
import { InvalidOptionError, InvalidPromptError, InvalidStateError, NonFiniteOutputError } from './errors.js';
import type { GeneratorSnapshot } from './state.js';
import { FakeSession, fakeInfo, referenceGreedy } from './test-helpers/fake-session.js';

function make(seed = 7, info = fakeInfo()): { gen: CharGenerator; session: FakeSession } {
  const session = new FakeSession(info);
  return { gen: new CharGenerator(session, info, { seed }), session };
}

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
    expect(await a.generate('abcd', { maxNewTokens: 0, temperature: 0 })).toBe('');
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
    for await (const chunk of a.generate('abc', { temperature: 0, maxNewTokens: 50 })) {
      seen += chunk;
      if (seen.length === 7) break;
    }
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
