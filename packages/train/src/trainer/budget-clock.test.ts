import { BudgetClock } from './budget-clock.js';

/** A clock the test sets, in milliseconds. */
function manual() {
  let ms = 0;
  return { now: () => ms, advance: (s: number) => (ms += s * 1000) };
}

describe('BudgetClock', () => {
  test('a first step far slower than planned (a graph being built) does not count towards the next validation', () => {
    const t = manual();
    // 60 s budget: validate every 5 s; the plan expects 1,000 chars/s, so a 100-character step takes 0.1 s.
    const clock = new BudgetClock(60, 0, [], { trainCharsPerSecond: 1000, evalCharsPerSecond: 3000 }, t.now);
    t.advance(7);
    clock.stepped(100, 7);
    expect(clock.validationDue(300)).toBe(false);
    t.advance(4.9);
    expect(clock.validationDue(300)).toBe(false);
    t.advance(0.1);
    expect(clock.validationDue(300)).toBe(true);
    // Without an expected speed, the first step is just a step.
    const plain = new BudgetClock(60, 0, [], undefined, t.now);
    t.advance(5);
    plain.stepped(100, 5);
    expect(plain.validationDue(300)).toBe(true);
  });

  test('no periodic validation within half an interval of the end: the last one comes then', () => {
    const t = manual();
    const clock = new BudgetClock(60, 0, [], { trainCharsPerSecond: 1000, evalCharsPerSecond: 3000 }, t.now);
    clock.stepped(100, 0.1);
    // The end: 60 s less 1.2 × (300 / 3,000 s) + 0.5 s = 59.38 s; half an interval is 2.5 s.
    t.advance(56.8);
    expect(clock.validationDue(300)).toBe(true);
    t.advance(0.1);
    expect(clock.validationDue(300)).toBe(false);
    expect(clock.timeUp(300)).toBe(false);
    t.advance(2.38);
    expect(clock.timeUp(300)).toBe(true); // 59.28 + a 0.1 s step + 0.62 s reserve ≥ 60
  });

  test('a resumed run goes on from its saved seconds and last validation', () => {
    const t = manual();
    t.advance(1000); // another process's clock
    const clock = new BudgetClock(60, 20, [{ epoch: 1, lr: 1e-3, trainLoss: 2, validLoss: 2, charsPerSecond: 1, seconds: 1, batches: 1, step: 1, elapsed: 18 }], undefined, t.now, 0.5);
    expect(clock.now()).toBe(20);
    expect(clock.validationSeconds).toBe(0.5);
    t.advance(2.9);
    expect(clock.validationDue(300)).toBe(false); // 18 + 5 s
    t.advance(0.1);
    expect(clock.validationDue(300)).toBe(true);
    expect(clock.progress(300)).toBeCloseTo(23 / (60 - (1.2 * 0.5 + 0.5)), 12);
  });
});
