// The SIMD gradient sum and optimizer steps against the update written out in float64 from
// torch.optim's documented formulas: every count (whole lanes, the JavaScript tail, both), regions
// at unaligned offsets, and nothing outside the range touched.
import { Rng } from '@charrnn/data';
import { relativeErrorOf as relative } from '../fast/test-helpers/relative-error.js';
import { SimdStep, simdStepModule } from './simd-step.js';

const rng = new Rng(17);
const random = (n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * (rng.next() - 0.5));

function memoryOf(floats: number): WebAssembly.Memory {
  const pages = Math.ceil((floats * 4) / 65536);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

const COUNTS = [1, 3, 4, 5, 8, 11, 1003];

test('the module validates and is small', () => {
  const bytes = simdStepModule();
  expect(WebAssembly.validate(bytes)).toBe(true);
  expect(bytes.length).toBeLessThan(2048);
});

test.each(COUNTS)('weightedSum of three regions, %i floats at unaligned offsets, is Σ wⱼ·gⱼ and writes nothing else', (count) => {
  const simd = new SimdStep(memoryOf(8 * count + 64));
  const f = simd.floats;
  const at = [5, 2 * count + 9, 4 * count + 14];
  const dst = 6 * count + 23;
  const terms = at.map((a, j) => ({ at: a, weight: [0.25, 0.5, 0.125][j] }));
  const values = at.map(() => random(count));
  at.forEach((a, j) => f.set(values[j], a));
  f.fill(7, dst - 4, dst + count + 4);
  simd.weightedSum(dst, terms, count);
  const want = Array.from({ length: count }, (_, k) => terms.reduce((sum, t, j) => sum + t.weight * Math.fround(values[j][k]), 0));
  expect(relative(f.subarray(dst, dst + count), want)).toBeLessThan(1e-6);
  expect([...f.subarray(dst - 4, dst), ...f.subarray(dst + count, dst + count + 4)]).toEqual(Array(8).fill(7));
});

describe.each(COUNTS)('step on %i floats at unaligned offsets', (count) => {
  const regions = { p: 3, g: 3 + count + 6, m: 3 + 2 * count + 13, v: 3 + 3 * count + 22 };

  function setUp(): { simd: SimdStep; p: Float64Array; g: Float64Array; m: Float64Array; v: Float64Array } {
    const simd = new SimdStep(memoryOf(4 * count + 64));
    simd.floats.fill(9);
    const values = { p: random(count), g: random(count, 0.2), m: random(count, 0.1), v: random(count, 0.02).map(Math.abs) };
    for (const [k, a] of Object.entries(values)) {
      simd.floats.set(a, regions[k as keyof typeof regions]);
      // The reference starts from the float32 values the memory holds.
      a.set(simd.floats.subarray(regions[k as keyof typeof regions], regions[k as keyof typeof regions] + count));
    }
    return { simd, ...values };
  }

  /** The floats just outside [at, at + count): untouched (9). */
  const outside = (f: Float32Array, at: number) => [f[at - 1], f[at + count]];

  test('Adam with decoupled decay and a clip factor: torch.optim.AdamW', () => {
    const { simd, p, g, m, v } = setUp();
    const [lr, beta1, beta2, eps, weightDecay, gradScale, t] = [0.01, 0.9, 0.999, 1e-8, 0.1, 0.7, 3];
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    simd.step({ name: 'adam', beta1, beta2, eps }, { lr, biasCorrection1: c1, biasCorrection2Sqrt: Math.sqrt(c2), gradScale, weightDecay }, regions.p, regions.g, [regions.m, regions.v], count);
    const wm = m.map((mk, k) => beta1 * mk + (1 - beta1) * g[k] * gradScale);
    const wv = v.map((vk, k) => beta2 * vk + (1 - beta2) * (g[k] * gradScale) ** 2);
    const wp = p.map((pk, k) => pk * (1 - lr * weightDecay) - (lr * (wm[k] / c1)) / (Math.sqrt(wv[k] / c2) + eps));
    const f = simd.floats;
    expect(relative(f.subarray(regions.m, regions.m + count), wm)).toBeLessThan(1e-6);
    expect(relative(f.subarray(regions.v, regions.v + count), wv)).toBeLessThan(1e-6);
    expect(relative(f.subarray(regions.p, regions.p + count), wp)).toBeLessThan(1e-6);
    // The step moved the weights (so agreeing is not agreeing on the starting point).
    expect(relative(f.subarray(regions.p, regions.p + count), p)).toBeGreaterThan(1e-3);
    for (const at of Object.values(regions)) expect(outside(f, at)).toEqual([9, 9]);
    expect([...f.subarray(regions.g, regions.g + count)]).toEqual([...g]);
  });

  test('SGD with momentum: torch.optim.SGD', () => {
    const { simd, p, g, m } = setUp();
    const [lr, momentum, gradScale] = [0.05, 0.9, 1];
    simd.step({ name: 'sgd', momentum }, { lr, gradScale }, regions.p, regions.g, [regions.m], count);
    const wb = m.map((b, k) => momentum * b + g[k]);
    const wp = p.map((pk, k) => pk - lr * wb[k]);
    const f = simd.floats;
    expect(relative(f.subarray(regions.m, regions.m + count), wb)).toBeLessThan(1e-6);
    expect(relative(f.subarray(regions.p, regions.p + count), wp)).toBeLessThan(1e-6);
    for (const at of [regions.p, regions.m]) expect(outside(f, at)).toEqual([9, 9]);
  });
});
