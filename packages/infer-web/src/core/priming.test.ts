import { CharGenerator } from './generator.js';
import { PRIME_CHUNK_CHARS, interleaveRows, scatterRow } from './priming.js';
import type { RecurrentOutputs, RecurrentSession } from './session.js';
import { FakeSession, fakeInfo, referenceGreedy } from '../test-helpers/fake-session.js';

/** A prompt of `n` characters from the fake vocabulary, varied so that the state depends on all of it. */
function promptOf(n: number): string {
  const chars = 'abcde .x';
  let s = '';
  for (let i = 0; i < n; i++) s += chars[(i * 7 + (i >> 3)) % chars.length];
  return s;
}

/** The fake model's recurrence, but a session whose runs take real time (a timer per run), as a native run blocks. */
class SlowSession extends FakeSession {
  override async run(...args: Parameters<FakeSession['run']>): Promise<RecurrentOutputs> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    return super.run(...args);
  }
}

/**
 * The fake model's recurrence in a run that blocks the thread for at least `blockMs` (as a native
 * run does) and then resolves through a microtask only: no event-loop turn of its own, and a known
 * least time per run, so that the generator's own turns come within a known number of runs on a
 * fast machine as on a busy one.
 */
class BlockingSession extends FakeSession {
  constructor(info: ReturnType<typeof fakeInfo>, private readonly blockMs: number) {
    super(info);
  }
  override async run(...args: Parameters<FakeSession['run']>): Promise<RecurrentOutputs> {
    const until = performance.now() + this.blockMs;
    while (performance.now() < until);
    return super.run(...args);
  }
}

/** Answers instantly with zeros: what is left to time is the generator's own work. */
class NullSession implements RecurrentSession {
  readonly backend = 'null';
  runs = 0;
  constructor(private readonly vocab: number) {}
  async run(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array): Promise<RecurrentOutputs> {
    this.runs++;
    return { logits: new Float32Array(seq * batch * this.vocab), hn: h0 };
  }
  async release(): Promise<void> {}
}

describe('priming a long prompt', () => {
  test(`runs in chunks of at most ${PRIME_CHUNK_CHARS} characters, with the same result as one run`, async () => {
    const info = fakeInfo();
    const session = new FakeSession(info);
    const gen = new CharGenerator(session, info, { seed: 1 });
    const prompt = promptOf(2 * PRIME_CHUNK_CHARS + 123);
    const text = await gen.generate(prompt, { temperature: 0, maxNewTokens: 10 });
    expect(session.calls.slice(0, 3).map((c) => c.seq)).toEqual([PRIME_CHUNK_CHARS, PRIME_CHUNK_CHARS, 123]);
    expect(session.calls.slice(3).every((c) => c.seq === 1)).toBe(true);
    expect(session.calls.slice(0, 3).flatMap((c) => c.tokens)).toEqual(gen.tokenizer.encode(prompt));
    expect(text).toBe(gen.tokenizer.decode(referenceGreedy(info, gen.tokenizer.encode(prompt), 10)));
  });

  test('a batch primes [chunk / rows] steps per run, so a run holds the same number of characters', async () => {
    const info = fakeInfo();
    const session = new FakeSession(info);
    const gen = new CharGenerator(session, info, { seed: 1 });
    const a = promptOf(PRIME_CHUNK_CHARS + 5);
    const b = promptOf(PRIME_CHUNK_CHARS + 5).split('').reverse().join('');
    const texts = await gen.generateBatch([a, b], { temperature: 0, maxNewTokens: 4 });
    const steps = PRIME_CHUNK_CHARS / 2;
    expect(session.calls.slice(0, 3).map((c) => [c.seq, c.batch])).toEqual([
      [steps, 2],
      [steps, 2],
      [5, 2],
    ]);
    expect(texts).toEqual([a, b].map((p) => gen.tokenizer.decode(referenceGreedy(info, gen.tokenizer.encode(p), 4))));
  });

  test('an abort during priming ends it at the next chunk; the state keeps the rest pending and continues exactly', async () => {
    const info = fakeInfo();
    const session = new SlowSession(info);
    const gen = new CharGenerator(session, info, { seed: 1 });
    const prompt = promptOf(10 * PRIME_CHUNK_CHARS);
    const controller = new AbortController();
    const stream = gen.generate(prompt, { temperature: 0, maxNewTokens: 5, signal: controller.signal });
    setTimeout(() => controller.abort(), 1);
    const result = await stream.result();
    expect(result).toEqual({ text: '', newTokens: 0, finishReason: 'abort' });
    const runs = session.calls.length;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThan(10);
    // The snapshot holds what was not primed yet, and the rest of the prompt primes on the next call.
    expect(gen.getState().pending).toHaveLength(prompt.length - runs * PRIME_CHUNK_CHARS);
    const rest = await gen.generate('', { temperature: 0, maxNewTokens: 5 });
    expect(rest).toBe(gen.tokenizer.decode(referenceGreedy(info, gen.tokenizer.encode(prompt), 5)));
  });

  test('timers run between chunks even when every run resolves at once (no event-loop turn of its own)', async () => {
    const info = fakeInfo();
    // Each run blocks 4 ms or more: priming's turns (every 8 ms) come after every second run at the
    // latest, and a timer already due fires at the second turn at the latest (the first may come in
    // the same event-loop iteration), so by the fourth of 12 runs, however fast or busy the machine.
    const session = new BlockingSession(info, 4);
    const gen = new CharGenerator(session, info, { seed: 1 });
    let callsWhenTimerFired = -1;
    setTimeout(() => (callsWhenTimerFired = session.calls.length), 0);
    await gen.generate(promptOf(12 * PRIME_CHUNK_CHARS), { maxNewTokens: 0 });
    expect(session.calls).toHaveLength(12);
    expect(callsWhenTimerFired).toBeGreaterThanOrEqual(1);
    expect(callsWhenTimerFired).toBeLessThanOrEqual(4);
  });

  test('the step graph primes in time linear in the prompt length', async () => {
    const info = fakeInfo({ graph: 'step' });
    const time = async (n: number): Promise<number> => {
      const prompt = promptOf(n);
      let best = Infinity;
      for (let repeat = 0; repeat < 3; repeat++) {
        const session = new NullSession(info.vocabSize);
        const gen = new CharGenerator(session, info, { seed: 1 });
        // CPU time, not wall time: what other processes take of a busy machine does not count.
        const started = process.cpuUsage();
        await gen.generate(prompt, { maxNewTokens: 0 });
        const { user, system } = process.cpuUsage(started);
        best = Math.min(best, user + system);
        expect(session.runs).toBe(n);
      }
      return best;
    };
    await time(5_000); // warm-up
    const short = await time(25_000);
    const long = await time(100_000);
    // Linear: ×4 the characters, about ×4 the time; quadratic (a copy of the rest per character) would be ×16.
    expect(long / short).toBeLessThan(8);
    // 390,000 runs: a few seconds on a quiet machine, over a minute at nice 15 on a loaded one.
  }, 180_000);
});

describe('batch state layout', () => {
  test('interleaveRows stacks [L, 1, H] rows layer by layer into [L, B, H]; scatterRow takes row b back out', () => {
    // L = 2 layers, H = 3, B = 2 rows; value = 100·row + 10·layer + unit.
    const row = (r: number) => Float32Array.from([0, 1, 2, 10, 11, 12], (v) => 100 * r + v);
    const batch = interleaveRows([row(0), row(1)], 2, 3);
    expect([...batch]).toEqual([0, 1, 2, 100, 101, 102, 10, 11, 12, 110, 111, 112]);
    for (const b of [0, 1]) {
      const out = new Float32Array(6);
      scatterRow(batch, out, b, 2, 2, 3);
      expect([...out]).toEqual([...row(b)]);
    }
  });
});
