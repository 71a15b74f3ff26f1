import type { EngineFactory } from '../engine/engine.js';
import { budgetPlanInput, planBudget, sameModel, warmupSeconds, type BudgetEngine, type BudgetPlanRequest } from './budget-plan.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit-options.js';
import type { Throughput } from './measure.js';
import { PlanError, costPerCharacter, planRecipe, planTable, warmupModel } from './plan.js';

// The planning every runtime shares, run on fakes: the speeds and the clock are injected, so each
// expected plan is planRecipe's own answer for the same corpus, budget, time spent and measurement.
const VOCAB = 70;
const corpusOf = (train: number, valid: number) => ({ train: new Int32Array(train), valid: new Int32Array(valid), vocab: { size: VOCAB } });
const options: FitOptions = { ...DEFAULT_FIT_OPTIONS, corpus: 'x.txt', text: 'faithful', lower: false, minutes: 3 };
const cost = (o: FitOptions) => costPerCharacter(o.arch, { hidden: o.hidden, layers: o.layers, embed: o.embed }, VOCAB);
const neverBuilt: EngineFactory = () => Promise.reject(new Error('the fake engine is never built: measure is injected'));

/** A fake runtime: an engine whose speed is `speedOf(model)`; each measurement advances the clock by `tick` seconds. */
function fakeRuntime(speedOf: (o: FitOptions) => number, tick = 0) {
  let t = 0;
  const measured: FitOptions[] = [];
  const disposed: string[] = [];
  const engine: BudgetEngine = { name: 'fake (cpu)', factory: neverBuilt, dispose: async () => void disposed.push('fake') };
  const measure = async (_engine: BudgetEngine, model: FitOptions, seconds: number): Promise<Throughput> => {
    expect(seconds).toBe(warmupSeconds(model.minutes!));
    measured.push(model);
    t += tick * 1000;
    const cps = speedOf(model);
    return { charsPerSecond: cps, firstStepSeconds: 0.2, steps: 10, evalCharsPerSecond: 3 * cps };
  };
  const request = (over: Partial<BudgetPlanRequest> = {}): BudgetPlanRequest => ({
    options,
    corpus: corpusOf(540_000, 60_000),
    given: {},
    engine: async (warm, m) => ({ engine, speed: await m(engine, warm) }),
    measure,
    now: () => t,
    ...over,
  });
  return { request, measured, disposed, spent: () => t / 1000 };
}

describe('planBudget: the planning Node and the browser share', () => {
  test('a speed that scales as the planner models it: the plan is planRecipe\'s for that speed, whichever model was measured', async () => {
    // 1.5e9 cost units a second: the speed of every model is what planRecipe extrapolates from any one of them.
    const speedOf = (o: FitOptions) => 1.5e9 / cost(o);
    const rt = fakeRuntime(speedOf);
    const budget = await planBudget(rt.request());
    const input = budgetPlanInput(rt.request());
    const reference = { ...options, arch: 'lstm' as const, hidden: 100, layers: 1, embed: 10 };
    const expected = planRecipe({ ...input, spent: 0, measured: { options: reference, charsPerSecond: speedOf(reference) } });
    expect(budget.plan).toEqual(expected);
    expect(rt.measured[0]).toEqual(warmupModel(input));
    expect(budget.table).toEqual(planTable(expected, budget.measured, 'fake (cpu)'));
    expect(budget.expected).toEqual({ trainCharsPerSecond: expected.charsPerSecond, evalCharsPerSecond: 3 * expected.charsPerSecond });
    expect(budget.spent).toBe(0);
    expect(rt.disposed).toEqual([]);
  });

  test('a speed that does not scale (overhead-bound): the planned model is measured and planned again, from the last measurement and the time spent', async () => {
    // Every model at 2,000 chars/s, 10 s a measurement: the warm-up's model (sized for 60k chars/s) is not the plan's.
    const rt = fakeRuntime(() => 2_000, 10);
    const input = budgetPlanInput(rt.request());
    const warm = warmupModel(input);
    expect(sameModel(planRecipe({ ...input, spent: 10, measured: { options: warm, charsPerSecond: 2_000 } }).options, warm)).toBe(false);
    const budget = await planBudget(rt.request());
    expect(rt.measured.length).toBeGreaterThan(1);
    expect(rt.measured.length).toBeLessThanOrEqual(3);
    expect(budget.measured.options).toEqual(rt.measured.at(-1));
    expect(budget.plan).toEqual(planRecipe({ ...input, spent: rt.spent(), measured: budget.measured }));
    expect(budget.plan.plannedChars).toBeCloseTo(budget.plan.charsPerSecond * (180 - rt.spent()), 6);
    expect(budget.measuredPlanned).toBe(sameModel(budget.plan.options, budget.measured.options));
  });

  test('settings given are kept and the rest planned around them, as planRecipe does', async () => {
    const given = { hidden: 48, bptt: 16 };
    const rt = fakeRuntime(() => 30_000);
    const budget = await planBudget(rt.request({ given }));
    expect(budget.plan.options).toMatchObject({ hidden: 48, bptt: 16, minutes: 3 });
    expect(budget.plan).toEqual(planRecipe({ ...budgetPlanInput(rt.request({ given })), spent: 0, measured: budget.measured }));
  });

  test('a budget with no room to train and validate once is refused naming the least that would do; the engine is released', async () => {
    // 0.05 min = 3 s; one measurement spends 2.5 s of it.
    const rt = fakeRuntime(() => 5_000, 2.5);
    const request = rt.request({ options: { ...options, minutes: 0.05 } });
    const refusal = planBudget(request);
    await expect(refusal).rejects.toThrow(PlanError);
    await expect(refusal).rejects.toThrow(/^0\.05 minutes \(3 s\) is too short to train and validate once: planning took [0-9.]+ s, .*give at least [0-9.]+ minutes$/);
    expect(rt.disposed).toEqual(['fake']);
    const least = Number(/give at least ([0-9.]+) minutes/.exec(await refusal.then(() => '', (e: Error) => e.message))![1]);
    expect(least).toBeGreaterThan(0.05);
  });

  test('the CLI names the budget its own way', async () => {
    const rt = fakeRuntime(() => 5_000, 2.5);
    await expect(planBudget(rt.request({ options: { ...options, minutes: 0.05 }, label: (m) => `--minutes ${m}` }))).rejects.toThrow(/^--minutes 0\.05 \(3 s\).*give at least --minutes [0-9.]+$/);
  });

  test('a corpus no recipe fits is refused before any engine is built', async () => {
    const rt = fakeRuntime(() => 30_000);
    let built = 0;
    const request = rt.request({ corpus: corpusOf(200, 100), engine: async () => ((built += 1), Promise.reject(new Error('unreachable'))) });
    await expect(planBudget(request)).rejects.toThrow(/too small for any time-budget recipe: it has 200 training and 100 validation characters; the smallest recipe \(batch 8, BPTT 16\) needs at least 256 and 16/);
    expect(built).toBe(0);
  });
});
