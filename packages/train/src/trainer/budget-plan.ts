/**
 * Planning a time-budget run, the part every runtime shares: the warm-up measures a reference
 * model's speed on the engine the runtime supplies, the planner sizes the recipe (plan.ts), the
 * planned model is measured and planned again when it differs, and a budget that could not train
 * and validate once is refused. Which engine trains (onnxruntime-node, its worker threads, tfjs,
 * onnxruntime-web) is the runtime's choice, passed in through `engine`; nothing here imports Node.
 */
import type { EngineFactory } from '../engine/engine.js';
import type { ExpectedSpeed } from './budget-clock.js';
import type { FitOptions } from './fit-options.js';
import { measureThroughput, type Throughput } from './measure.js';
import { PlanError, checkCorpusForPlan, planRecipe, planTable, warmupModel, type Plan, type PlanInput } from './plan.js';

/** An engine a budget run may train on, as its runtime built it. */
export interface BudgetEngine {
  /** As the plan table names it, e.g. "onnxruntime-web (wasm)". */
  name: string;
  factory: EngineFactory;
  /** Releases what the engine's sessions share (sessions, worker threads). */
  dispose?: () => Promise<void>;
  /** Built around one model (tfjs' worker threads): the planned model is not measured on it, and the runtime rebuilds it for the plan. */
  fixedModel?: boolean;
}

/** Measures `model`'s training speed on `engine` (measureThroughput over `seconds`, unless a test injects figures). */
export type MeasureSpeed = (engine: BudgetEngine, model: FitOptions, seconds: number) => Promise<Throughput>;

export interface BudgetPlanRequest {
  /** The run's options, `minutes` set (engine, corpus, text, seed … are kept). */
  options: FitOptions;
  corpus: { train: Int32Array; valid: Int32Array; vocab: { size: number } };
  /** Settings given explicitly: kept, and the plan sized around them. */
  given: Partial<FitOptions>;
  /**
   * The engine for the warm-up model: the runtime builds it, and may measure alternatives with
   * `measure` (Node compares data-parallel workers) before returning the one to train on and its speed.
   */
  engine: (warm: FitOptions, measure: (engine: BudgetEngine, model: FitOptions) => Promise<Throughput>) => Promise<{ engine: BudgetEngine; speed: Throughput }>;
  /** How a budget of `minutes` is named in messages (default "3 minutes"; the CLI says "--minutes 3"). */
  label?: (minutes: number) => string;
  /** Default measureThroughput. */
  measure?: MeasureSpeed;
  /** Milliseconds; default performance.now (tests inject a clock). */
  now?: () => number;
}

export interface BudgetPlan {
  plan: Plan;
  /** The speed the plan was sized from, and of which model. */
  measured: { options: FitOptions; charsPerSecond: number };
  /** The engine to train on (the caller disposes it). */
  engine: BudgetEngine;
  /** What it chose and why, one table (planTable). */
  table: string[];
  /** Seconds of the budget planning spent. */
  spent: number;
  /** The speeds the run's clock starts from (BudgetClock). */
  expected: ExpectedSpeed;
  /** Whether the measured model is the planned one (its graphs are built already). */
  measuredPlanned: boolean;
}

/** Seconds the warm-up measures a time-budget run's speed for: 2% of the budget, 1 to 5 s. */
export function warmupSeconds(minutes: number): number {
  return Math.min(5, Math.max(1, 0.02 * minutes * 60));
}

/** Whether two runs train the same graphs (so one's warm-up built the other's). */
export function sameModel(a: FitOptions, b: FitOptions): boolean {
  const masks = (o: FitOptions) => [o.dropout, o.outputDropout ?? 0, o.embedDropout ?? 0, o.weightDrop ?? 0].map((p) => p > 0).join();
  return (['arch', 'hidden', 'layers', 'embed', 'bs', 'bptt', 'clip'] as const).every((key) => a[key] === b[key]) && masks(a) === masks(b);
}

/** The inputs of planRecipe a request gives (all but the measurement and the time spent); refuses a corpus no recipe fits. */
export function budgetPlanInput(req: Pick<BudgetPlanRequest, 'options' | 'corpus' | 'given'>): Omit<PlanInput, 'measured' | 'spent'> {
  const { corpus, options } = req;
  if (options.minutes === undefined) throw new PlanError('a time-budget plan needs options.minutes');
  checkCorpusForPlan(corpus.train.length, corpus.valid.length);
  return { minutes: options.minutes, trainTokens: corpus.train.length, validTokens: corpus.valid.length, vocabSize: corpus.vocab.size, base: options, given: req.given };
}

/**
 * A time-budget run's plan: warm-up, planRecipe, the planned model measured and planned again
 * (at most twice: speed scales with size only roughly, small models being overhead-bound), the
 * table, and the check that the budget leaves room to train and validate once. On a refusal the
 * engine is disposed before the PlanError is thrown.
 */
export async function planBudget(req: BudgetPlanRequest): Promise<BudgetPlan> {
  const now = req.now ?? (() => performance.now());
  const started = now();
  const elapsed = () => (now() - started) / 1000;
  const input = budgetPlanInput(req);
  const { minutes } = input;
  const { corpus } = req;
  const measureWith = req.measure ?? ((engine, model, seconds) => measureThroughput(engine.factory, model, corpus.vocab.size, corpus, seconds));
  const measure = (engine: BudgetEngine, model: FitOptions) => measureWith(engine, model, warmupSeconds(minutes));
  const warm = warmupModel(input);
  const chosen = await req.engine(warm, measure);
  const { engine } = chosen;
  let { speed } = chosen;
  let measured = { options: warm, charsPerSecond: speed.charsPerSecond };
  let plan = planRecipe({ ...input, spent: elapsed(), measured });
  for (let round = 0; round < 2 && !sameModel(plan.options, measured.options) && !engine.fixedModel; round++) {
    speed = await measure(engine, plan.options);
    measured = { options: plan.options, charsPerSecond: speed.charsPerSecond };
    plan = planRecipe({ ...input, spent: elapsed(), measured });
  }
  const measuredPlanned = sameModel(plan.options, measured.options);
  const evalCharsPerSecond = (speed.evalCharsPerSecond * plan.charsPerSecond) / speed.charsPerSecond;
  try {
    checkBudgetRoom({ minutes, spent: elapsed(), plan, speed, evalCharsPerSecond, validTokens: corpus.valid.length, built: measuredPlanned, label: req.label });
  } catch (e) {
    await engine.dispose?.();
    throw e;
  }
  return {
    plan,
    measured,
    engine,
    table: planTable(plan, measured, engine.name),
    spent: elapsed(),
    expected: { trainCharsPerSecond: plan.charsPerSecond, evalCharsPerSecond },
    measuredPlanned,
  };
}

interface BudgetRoom {
  minutes: number;
  spent: number;
  plan: Plan;
  speed: Throughput;
  evalCharsPerSecond: number;
  validTokens: number;
  /** Whether the planned model's graphs are built already (the warm-up measured it). */
  built: boolean;
  label?: (minutes: number) => string;
}

/**
 * Refuses a budget that leaves too little after planning for what a run needs besides training:
 * building its graph (unless the warm-up built it), ten steps, one validation and a save.
 */
export function checkBudgetRoom(r: BudgetRoom): void {
  const label = r.label ?? ((m: number) => `${m} minutes`);
  const build = r.built ? 0 : r.speed.firstStepSeconds * 2;
  const step = (r.plan.options.bs * r.plan.options.bptt) / r.plan.charsPerSecond;
  const validation = r.validTokens / r.evalCharsPerSecond;
  const need = build + 10 * step + 1.2 * validation + 0.5;
  if (r.spent + need <= r.minutes * 60) return;
  const least = Math.ceil(((r.spent + need) / 60) * 100) / 100;
  throw new PlanError(
    `${label(r.minutes)} (${Math.round(r.minutes * 60)} s) is too short to train and validate once: planning took ${r.spent.toFixed(1)} s, and the run needs ~${need.toFixed(1)} s more ` +
      `(${build > 0 ? `${build.toFixed(1)} s to build its graph, ` : ''}10 steps of ${step.toFixed(2)} s, a validation of ${r.validTokens} characters, a save); give at least ${label(least)}`,
  );
}
