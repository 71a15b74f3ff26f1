// trainer.json checked field by field before a run resumes from it: a record that is edited, cut
// or from another version would otherwise steer the loop (a batch of −5 trains 11 extra steps).
// Browser-safe: the page's trainer resumes through the same check.
import { ARCHS, TEXT_MODES } from '@charrnn/contract';
import { regularizationOf } from '../engine/regularization.js';
import { OPTIMIZER_NAMES } from '../optim/optimizer.js';
import { parseSchedule, totalEpochs } from '../schedule/schedule.js';
import { ENGINE_CHOICES, type FitOptions } from './fit-options.js';
import { MAX_MINUTES } from './plan.js';
import type { EpochRecord } from './history.js';

/** What a value must be: undefined when it is, else the description of what was expected. */
type Rule = (value: unknown) => string | undefined;

const integer =
  (min: number, max = Infinity): Rule =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : max === Infinity ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
/** A finite number in [lo, hi) (or [lo, ∞) when hi is Infinity), or in (lo, hi) when `open`. */
const number =
  (lo: number, hi = Infinity, open = false): Rule =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && (open ? v > lo : v >= lo) && v < hi
      ? undefined
      : `a number ${hi === Infinity ? `${open ? '>' : '≥'} ${lo}` : `in ${open ? '(' : '['}${lo}, ${hi})`}`;
const oneOf =
  (choices: readonly string[]): Rule =>
  (v) =>
    typeof v === 'string' && choices.includes(v) ? undefined : `one of ${choices.join(', ')}`;
const boolean: Rule = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const string: Rule = (v) => (typeof v === 'string' ? undefined : 'a string');
const nullOr =
  (rule: Rule): Rule =>
  (v) =>
    v === null ? undefined : rule(v) && `null or ${rule(v)}`;
const optional =
  (rule: Rule): Rule =>
  (v) =>
    v === undefined ? undefined : rule(v);
const schedule: Rule = (v) => {
  if (typeof v !== 'string') return 'a schedule string such as "6@1e-3,3@1e-4"';
  try {
    parseSchedule(v);
    return undefined;
  } catch (e) {
    return `a valid schedule (${(e as Error).message})`;
  }
};
/** Checked together by regularizationOf (the tie needs embed = hidden), not one by one. */
const regularization: Rule = () => undefined;

/**
 * Every option of a run, so that an option added to FitOptions without its rule fails to compile.
 * engine, device and backend may be absent (runs saved before they existed); their values are
 * checked where the run starts (run.ts, selectBackend), which know the Node-only choices.
 */
const OPTION_RULES: { [K in keyof Required<FitOptions>]: Rule } = {
  corpus: optional(string),
  arch: oneOf(ARCHS),
  embed: integer(1),
  hidden: integer(1),
  layers: integer(1),
  dropout: number(0, 1),
  embedDropout: regularization,
  outputDropout: regularization,
  weightDrop: regularization,
  tie: regularization,
  weightDecay: regularization,
  bs: integer(1),
  bptt: integer(1),
  schedule,
  minutes: optional(number(0, MAX_MINUTES + 1e-9, true)),
  optimizer: oneOf(OPTIMIZER_NAMES),
  momentum: number(0, 1),
  clip: nullOr(number(0, Infinity, true)),
  seed: integer(0),
  maxBatches: nullOr(integer(1)),
  minFreq: integer(1),
  text: optional(oneOf(TEXT_MODES)),
  lower: optional(boolean),
  validFraction: number(0, 1, true),
  allowControlChars: optional(boolean),
  engine: optional(oneOf(ENGINE_CHOICES)),
  device: optional(string),
  backend: optional(string),
};

const HISTORY_RULES: { [K in keyof Required<EpochRecord>]: Rule } = {
  // A time-budget run's rows are at epoch positions such as 3.42.
  epoch: number(0, Infinity, true),
  lr: number(0, Infinity, true),
  trainLoss: number(0),
  validLoss: number(0),
  charsPerSecond: nullOr(number(0)), // JSON writes an infinite rate (an epoch timed at 0 s) as null
  seconds: number(0),
  batches: integer(0),
  step: integer(0),
  elapsed: optional(number(0)),
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));

/** Applies `rules` to the fields of `value`, prefixing names with `at`; unknown fields are problems too. */
function fieldProblems(value: Record<string, unknown>, rules: Record<string, Rule>, at: string): string[] {
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(rules)) {
    const expected = rule(value[key]);
    if (expected) problems.push(`${at}${key} is ${show(value[key])}, expected ${expected}`);
  }
  const unknown = Object.keys(value).filter((key) => !(key in rules));
  if (unknown.length > 0) problems.push(`${at.replace(/\.$/, '') || 'the record'} has ${unknown.map((k) => JSON.stringify(k)).join(', ')}, not ${at ? 'options' : 'fields'} of this version (known: ${Object.keys(rules).join(', ')})`);
  return problems;
}

/**
 * Every problem of a parsed trainer.json, each naming its field ("batch is -5, expected an
 * integer ≥ 0", "options.hidden is 0, …", "history[1].validLoss is null, …"), and the fields
 * that contradict each other (the schedule's epochs, the step against the batches trained).
 * Empty when the record can be resumed from.
 */
export function trainerRecordProblems(record: unknown): string[] {
  if (!isObject(record)) return [`the record is ${show(record)}, expected a JSON object`];
  const rules: Record<string, Rule> = {
    format: (v) => (v === 1 ? undefined : '1'),
    epoch: integer(0),
    batch: integer(0),
    step: integer(0),
    totalEpochs: nullOr(integer(1)),
    schedule,
    seed: integer(0),
    rng: (v) => (Array.isArray(v) && v.length === 4 && v.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && v.some((w) => w !== 0) ? undefined : '4 unsigned 32-bit integers, not all zero'),
    partial: (v) => (isObject(v) ? undefined : 'an object {lossSum, targets, seconds}'),
    history: (v) => (Array.isArray(v) ? undefined : 'an array of epoch records'),
    options: (v) => (isObject(v) ? undefined : 'an object of the run options'),
    corpusSha256: optional((v) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? undefined : '64 lower-case hex digits (a SHA-256)')),
    complete: boolean,
    elapsed: optional(number(0)),
    validationSeconds: optional(number(0)),
    best: optional(nullOr((v) => (isObject(v) && number(0)(v.validLoss) === undefined && integer(0)(v.step) === undefined ? undefined : 'an object {validLoss, step}'))),
  };
  const problems = fieldProblems(record, rules, '');
  const { partial, history, options } = record;
  if (isObject(partial)) problems.push(...fieldProblems(partial, { lossSum: number(0), targets: integer(0), seconds: number(0), batches: optional(integer(0)) }, 'partial.'));
  if (Array.isArray(history)) {
    history.forEach((row, i) => {
      if (isObject(row)) problems.push(...fieldProblems(row, HISTORY_RULES, `history[${i}].`));
      else problems.push(`history[${i}] is ${show(row)}, expected an epoch record`);
    });
  }
  if (isObject(options)) {
    problems.push(...fieldProblems(options, OPTION_RULES, 'options.'));
    try {
      regularizationOf(options, { embeddingDim: options.embed as number, hiddenSize: options.hidden as number });
    } catch (e) {
      problems.push(`options: ${(e as Error).message}`);
    }
  }
  if (problems.length > 0) return problems;

  // Each field is valid on its own; now whether they agree.
  if ((record.options as FitOptions).minutes !== undefined) return budgetProblems(record as unknown as BudgetRecord);
  const r = record as { epoch: number; batch: number; step: number; totalEpochs: number; schedule: string; seed: number; complete: boolean; history: EpochRecord[]; options: FitOptions };
  const epochs = totalEpochs(parseSchedule(r.schedule));
  if (r.schedule !== r.options.schedule) problems.push(`schedule is ${show(r.schedule)} but options.schedule is ${show(r.options.schedule)}`);
  if (r.totalEpochs !== epochs) problems.push(`totalEpochs is ${r.totalEpochs} but schedule ${show(r.schedule)} has ${epochs} epochs`);
  if (r.seed !== r.options.seed) problems.push(`seed is ${r.seed} but options.seed is ${r.options.seed}`);
  if (r.epoch > r.totalEpochs) problems.push(`epoch is ${r.epoch}, beyond totalEpochs ${r.totalEpochs}`);
  if (r.complete !== r.epoch >= r.totalEpochs) problems.push(`complete is ${r.complete} at epoch ${r.epoch} of ${r.totalEpochs}`);
  if (r.complete && r.batch !== 0) problems.push(`batch is ${r.batch} in a complete run, expected 0`);
  if (r.options.maxBatches !== null && r.batch >= r.options.maxBatches) problems.push(`batch is ${r.batch}, expected fewer than options.maxBatches ${r.options.maxBatches}`);
  if (r.history.length !== r.epoch) problems.push(`history has ${r.history.length} epochs, expected one per finished epoch (epoch is ${r.epoch})`);
  let trained = 0;
  r.history.forEach((row, i) => {
    trained += row.batches;
    if (row.epoch !== i + 1) problems.push(`history[${i}].epoch is ${row.epoch}, expected ${i + 1}`);
    if (row.step !== trained) problems.push(`history[${i}].step is ${row.step}, expected ${trained} (the batches of epochs 1 to ${i + 1})`);
  });
  if (r.step !== trained + r.batch) problems.push(`step is ${r.step}, expected ${trained + r.batch} (${trained} batches in the finished epochs + batch ${r.batch})`);
  return problems;
}

interface BudgetRecord {
  step: number;
  totalEpochs: number | null;
  schedule: string;
  seed: number;
  partial: { batches?: number };
  history: EpochRecord[];
  options: FitOptions;
  elapsed?: number;
}

/** A time-budget run's fields against each other: no epoch count, one row per validation, the clock moving forward. */
function budgetProblems(r: BudgetRecord): string[] {
  const problems: string[] = [];
  if (r.totalEpochs !== null) problems.push(`totalEpochs is ${r.totalEpochs} in a time-budget run (options.minutes ${r.options.minutes}), expected null`);
  if (r.schedule !== r.options.schedule) problems.push(`schedule is ${show(r.schedule)} but options.schedule is ${show(r.options.schedule)}`);
  if (r.seed !== r.options.seed) problems.push(`seed is ${r.seed} but options.seed is ${r.options.seed}`);
  if (r.elapsed === undefined) problems.push('elapsed is missing, expected the seconds a time-budget run has spent');
  else if (r.elapsed > r.options.minutes! * 60 + 60) problems.push(`elapsed is ${r.elapsed} s, beyond the budget of ${r.options.minutes} min`);
  let trained = 0;
  let previous = 0;
  r.history.forEach((row, i) => {
    trained += row.batches;
    if (row.step !== trained) problems.push(`history[${i}].step is ${row.step}, expected ${trained} (the batches of rows 1 to ${i + 1})`);
    if (row.elapsed === undefined || row.elapsed < previous) problems.push(`history[${i}].elapsed is ${show(row.elapsed)}, expected the run's seconds at that validation, not before the previous row's`);
    previous = row.elapsed ?? previous;
  });
  const pending = r.partial.batches ?? 0;
  if (r.step !== trained + pending) problems.push(`step is ${r.step}, expected ${trained + pending} (${trained} batches in the rows + ${pending} since the last)`);
  return problems;
}
