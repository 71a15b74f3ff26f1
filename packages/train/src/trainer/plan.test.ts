import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit-options.js';
import {
  PlanError,
  batchShape,
  checkCorpusForPlan,
  checkMinutes,
  costPerCharacter,
  dropoutLevel,
  parameterCount,
  peakLearningRate,
  planRecipe,
  planTable,
  type PlanInput,
} from './plan.js';

const base: FitOptions = { ...DEFAULT_FIT_OPTIONS, corpus: 'x.txt', text: 'faithful' };
const gru256: FitOptions = { ...base, arch: 'gru', hidden: 256, layers: 1, embed: 64 };

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    minutes: 3,
    spent: 0,
    trainTokens: 540_000,
    validTokens: 60_000,
    vocabSize: 60,
    base,
    given: {},
    measured: { options: gru256, charsPerSecond: 80_000 },
    ...over,
  };
}

describe('the model the planner counts', () => {
  test('parameters: embedding, the cells as PyTorch stores them (weights and both biases), decoder', () => {
    // gru 2 × 256, embedding 64, vocab 60: 60·64 + (3·256·(64+256+2)) + (3·256·(256+256+2)) + 60·256 + 60
    expect(parameterCount('gru', { hidden: 256, layers: 2, embed: 64 }, 60)).toBe(3840 + 247_296 + 394_752 + 15_360 + 60);
    // lstm has 4 gates
    expect(parameterCount('lstm', { hidden: 10, layers: 1, embed: 5 }, 7)).toBe(7 * 5 + 4 * 10 * (5 + 10 + 2) + 7 * 10 + 7);
  });

  test('cost per character grows with the gates and the sizes', () => {
    const small = costPerCharacter('gru', { hidden: 128, layers: 1, embed: 48 }, 60);
    expect(costPerCharacter('gru', { hidden: 256, layers: 1, embed: 48 }, 60)).toBeGreaterThan(2 * small - 30_000);
    expect(costPerCharacter('lstm', { hidden: 128, layers: 1, embed: 48 }, 60)).toBeGreaterThan(small);
  });
});

describe('planRecipe', () => {
  test('sizes the model to the budget: a larger budget, or a faster machine, buys a larger model', () => {
    const hiddenAt = (minutes: number, speed: number) => planRecipe(input({ minutes, measured: { options: gru256, charsPerSecond: speed } })).options.hidden;
    const sizes = [0.5, 3, 10, 60].map((m) => hiddenAt(m, 80_000));
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(sizes[0]).toBeLessThan(sizes[3]);
    expect(hiddenAt(3, 20_000)).toBeLessThanOrEqual(hiddenAt(3, 80_000));
  });

  test('the chosen size trains on ≥ 4 characters per parameter in the budget, at the measured speed scaled by cost', () => {
    const plan = planRecipe(input());
    expect(plan.plannedChars / plan.parameters).toBeGreaterThanOrEqual(4);
    // Its speed is the measured one scaled by cost: a 256 model measured at 80k.
    const size = { hidden: plan.options.hidden, layers: plan.options.layers, embed: plan.options.embed };
    const ref = costPerCharacter('gru', { hidden: 256, layers: 1, embed: 64 }, 60);
    expect(plan.charsPerSecond).toBeCloseTo((80_000 * ref) / costPerCharacter('gru', size, 60), 6);
    expect(plan.plannedChars).toBeCloseTo(plan.charsPerSecond * 180, 3);
  });

  test('a small corpus caps the model at 1.5 parameters per training character, and shrinks the batch and BPTT', () => {
    // An hour buys far more than the smallest model; 20,000 characters allow 30,000 parameters.
    const capped = planRecipe(input({ minutes: 60, trainTokens: 20_000, validTokens: 2_000 }));
    expect(capped.parameters).toBeLessThanOrEqual(30_000);
    expect(capped.parameters).toBeGreaterThan(7_740); // above the smallest size (1×32, e16: 7,740 at vocabulary 60)
    const plan = planRecipe(input({ minutes: 60, trainTokens: 3_000, validTokens: 300 }));
    // Every stream holds 4 windows: 16 × 32 × 4 = 2,048 ≤ 3,000 < 32 × 32 × 4.
    expect([plan.options.bs, plan.options.bptt]).toEqual([16, 32]);
    expect(batchShape(3_000)).toEqual({ bs: 16, bptt: 32 });
    expect(batchShape(1_000)).toEqual({ bs: 8, bptt: 16 });
    expect(batchShape(10_000_000)).toEqual({ bs: 32, bptt: 32 });
  });

  test('dropout grows with the passes over the data, none for one layer', () => {
    const many = planRecipe(input({ minutes: 60, trainTokens: 300_000 }));
    expect(many.options.layers).toBeGreaterThan(1);
    expect(many.options.dropout).toBeGreaterThan(0);
    expect(many.options.dropout).toBeLessThanOrEqual(0.4);
    const passes = many.plannedChars / 300_000;
    expect(many.options.dropout).toBe(dropoutLevel(passes));
    // One level everywhere it is locked (embedding, between layers, output); no weight drop.
    expect([many.options.outputDropout, many.options.embedDropout, many.options.weightDrop]).toEqual([many.options.dropout, many.options.dropout, 0]);
    const tiny = planRecipe(input({ minutes: 60, trainTokens: 5_000, validTokens: 500 }));
    expect(tiny.options.layers).toBe(1);
    expect(tiny.options.dropout).toBe(0);
    // One layer still gets dropout before the decoder when it sees the data many times.
    expect(tiny.options.outputDropout).toBeGreaterThan(0);
    const once = planRecipe(input({ minutes: 0.1, trainTokens: 5_000_000 }));
    expect(once.plannedChars / 5_000_000).toBeLessThan(2);
    expect([once.options.dropout, once.options.outputDropout, once.options.embedDropout, once.options.weightDrop]).toEqual([0, 0, 0, 0]);
  });

  test('the peak rate: 3e-3 up to 16 passes, halving as the passes double to 32, 1.5e-3 beyond; at most 2e-3 above 2M parameters', () => {
    expect([1, 8, 16, 24, 32, 47, 200].map((p) => peakLearningRate(p, 660_000))).toEqual([3e-3, 3e-3, 3e-3, 2e-3, 1.5e-3, 1.5e-3, 1.5e-3]);
    expect([4, 20, 40].map((p) => peakLearningRate(p, 3e6))).toEqual([2e-3, 2e-3, 1.5e-3]);
  });

  test('a budget with many passes over a corpus that bounds the model gets the lower rate, in the schedule it plans', () => {
    // 540k characters bound the model to 2×256 (2×384 has 1.4M parameters > 1.5 × 540k); 10 minutes at 80k chars/s of the 1×256 make about 40 passes of it.
    const plan = planRecipe(input({ minutes: 10 }));
    expect([plan.options.hidden, plan.options.layers]).toEqual([256, 2]);
    const passes = plan.plannedChars / 540_000;
    expect(passes).toBeGreaterThan(32);
    expect(plan.options.schedule).toBe('cosine@0.0015,warmup=0.03,final=0.05');
    expect(plan.options.dropout).toBe(dropoutLevel(passes));
    expect(planRecipe(input({ minutes: 3 })).options.schedule).toBe('cosine@0.003,warmup=0.03,final=0.05');
  });

  test('the dropout level: none up to two passes, 0.1 at 8, 0.2 at 32, at most 0.4', () => {
    expect([1, 2, 8, 16, 32, 64].map(dropoutLevel)).toEqual([0, 0, 0.1, 0.15, 0.2, 0.25]);
    expect(dropoutLevel(0.3)).toBe(0);
    expect(dropoutLevel(1e9)).toBe(0.4);
    expect(dropoutLevel(13.6)).toBe(0.14); // 0.05·log2(13.6) − 0.05 = 0.138…
  });

  test('explicit settings win, are marked given, and the rest is planned around them', () => {
    const plan = planRecipe(input({ given: { hidden: 100, arch: 'lstm', schedule: 'cosine@1e-3', bptt: 32 } }));
    expect(plan.options).toMatchObject({ hidden: 100, arch: 'lstm', schedule: 'cosine@1e-3', bptt: 32, minutes: 3, corpus: 'x.txt', text: 'faithful' });
    const why = Object.fromEntries(plan.choices.map((c) => [c.setting, c.why]));
    expect([why.hidden, why.arch, why.schedule, why.bptt]).toEqual(['given', 'given', 'given', 'given']);
    expect(why.layers).not.toBe('given');
    expect(plan.parameters).toBe(parameterCount('lstm', { hidden: 100, layers: plan.options.layers, embed: plan.options.embed }, 60));
  });

  test('the time spent planning is not trained', () => {
    const given = { hidden: 256, layers: 2, embed: 64 };
    const fresh = planRecipe(input({ minutes: 1, given }));
    const late = planRecipe(input({ minutes: 1, spent: 30, given }));
    expect(late.plannedChars).toBeCloseTo(fresh.plannedChars / 2, 0);
  });

  test('the table names every setting, its value and why', () => {
    const plan = planRecipe(input());
    const lines = planTable(plan, { options: gru256, charsPerSecond: 80_000 }, 'onnxruntime-node (cpu)');
    expect(lines[0]).toMatch(/^plan for 3 min: .* parameters, ~.* chars\/s, ~.* training characters \(measured 80k chars\/s for gru 1×256 on onnxruntime-node \(cpu\)\)$/);
    expect(lines).toHaveLength(2 + plan.choices.length);
    for (const c of plan.choices) expect(lines.some((l) => l.includes(c.setting) && l.includes(c.value) && l.includes(c.why))).toBe(true);
  });
});

describe('bad budgets and corpora', () => {
  test.each([0, -1, NaN, Infinity, 7 * 24 * 60 + 1])('--minutes %p is refused naming the limits', (m) => {
    expect(() => checkMinutes(m)).toThrow(PlanError);
    expect(() => checkMinutes(m)).toThrow(`--minutes ${m} is not a training budget: give a number of minutes above 0 and at most 10080 (a week), e.g. --minutes 3`);
  });

  test('a page names the budget its own way', () => {
    expect(() => checkMinutes(0, (m) => `Train for ${m} minutes`)).toThrow('Train for 0 minutes is not a training budget: give a number of minutes above 0 and at most 10080 (a week), e.g. Train for 3 minutes');
  });

  test('a week and a second are budgets', () => {
    expect(() => checkMinutes(7 * 24 * 60)).not.toThrow();
    expect(() => checkMinutes(1 / 60)).not.toThrow();
  });

  test('a corpus too small for the smallest recipe is refused naming the characters it needs', () => {
    expect(() => checkCorpusForPlan(255, 100)).toThrow(/it has 255 training and 100 validation characters; the smallest recipe \(batch 8, BPTT 16\) needs at least 256 and 16/);
    expect(() => checkCorpusForPlan(256, 15)).toThrow(PlanError);
    expect(() => checkCorpusForPlan(256, 16)).not.toThrow();
  });
});
