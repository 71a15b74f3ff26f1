import { OptionError, Rng } from '@charrnn/data';

describe('Rng (xoshiro128**)', () => {
  test('matches the reference implementation from state {1, 2, 3, 4}', () => {
    // Outputs of the authors' xoshiro128starstar.c seeded with s = {1, 2, 3, 4}.
    const rng = new Rng(0);
    rng.setState([1, 2, 3, 4]);
    const out = Array.from({ length: 10 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  test('same seed, same sequence; other seeds and streams differ', () => {
    const draw = (rng: Rng) => Array.from({ length: 8 }, () => rng.next());
    expect(draw(new Rng(42))).toEqual(draw(new Rng(42)));
    expect(draw(new Rng(42))).not.toEqual(draw(new Rng(43)));
    expect(draw(new Rng(42, 1))).not.toEqual(draw(new Rng(42, 0)));
    expect(draw(new Rng(2 ** 40))).not.toEqual(draw(new Rng(0)));
  });

  test('uniform [0, 1): mean 1/2, variance 1/12', () => {
    const rng = new Rng(7);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // σ of the mean ≈ 0.0009
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  test('normal(mean, std) has that mean and std', () => {
    const rng = new Rng(11);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal(8, 5);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 8)).toBeLessThan(0.06); // σ of the mean ≈ 0.016
    expect(Math.abs(Math.sqrt(sumSq / n - mean * mean) - 5)).toBeLessThan(0.05);
  });

  test('getState/setState resumes exactly, including normal()', () => {
    const a = new Rng(3);
    for (let i = 0; i < 5; i++) a.normal();
    const b = new Rng(999);
    b.setState(a.getState());
    expect([a.normal(), a.next(), a.nextUint32()]).toEqual([b.normal(), b.next(), b.nextUint32()]);
  });

  test.each([[1.5], [Number.NaN], [2 ** 60]])('seed %p is refused', (seed) => {
    expect(() => new Rng(seed)).toThrow(OptionError);
    expect(() => new Rng(seed)).toThrow(/expected a safe integer/);
  });

  test.each([[[0, 0, 0, 0]], [[1, 2, 3]], [[1, 2, 3, 2 ** 32]], [[1, 2, -1, 4]]])('state %p is refused', (state) => {
    expect(() => new Rng(0).setState(state)).toThrow(/4 unsigned 32-bit integers, not all zero/);
  });
});
