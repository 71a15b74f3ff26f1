/**
 * `train:fit --minutes N`: the recipe a time budget affords on this machine. A recipe is data
 * (the FitOptions it sets); the planner sizes the model from the corpus and from the speed it
 * measures in a short warm-up, and says why for each setting. Explicit flags win.
 *
 * The rules, and where they come from (the measurements behind them: the train README, "Time budgets"):
 * - Size: the largest model that still sees about TOKENS_PER_PARAMETER (4) training characters per
 *   parameter within the budget, and at most DATA_PARAMETER_RATIO (1.5) parameters per training
 *   character (Karpathy's char-rnn advice: parameters of the order of the data's size). Far below
 *   Chinchilla's 20 tokens per parameter (Hoffmann et al. 2022): a recurrent net on a
 *   540k-character corpus gains from several passes, but more from its size. At the characters 3
 *   quiet minutes train here a 2×256 GRU at 6.5 characters per parameter reached 1.3017 where a
 *   2×192 at 18 reached 1.3155. The data bound: on those 540k characters a 2×384 (2.6 parameters
 *   per character) planned for 10 minutes ended at 1.3133 after 23 passes, where a 2×256 (1.2) at
 *   21 passes reached 1.2929 and at 42 passes, with the rate and dropout below, 1.2877.
 * - Depth: two layers from hidden 96 on (so that dropout between them can regularise a model the
 *   data bounds), three from 640 (char-rnn's 2–3 layer LSTMs).
 * - Dropout grows slowly with the passes over the data the budget allows: 0.05·log2(passes) − 0.05,
 *   none up to two passes, 0.1 at 8, 0.2 at 32, at most 0.4. One level, locked over each window, on
 *   the embedding, between layers and before the decoder; no weight drop. Measured at 8 passes of a
 *   2×256 GRU: 0.1 everywhere reached 1.3017, AWD-LSTM's proportions at 0.2 (0.2 between layers and
 *   at the output, 0.1 on the embedding and as weight drop) 1.3453, and the planner's earlier
 *   0.27 on a 2×192 at 14 passes 1.3978: in short budgets dropout mostly slows learning. At 42
 *   passes (rate 1.5e-3) 0.1 overfitted (training 1.125, validation 1.2992), 0.2 reached 1.2877
 *   and 0.3 1.3073.
 * - BPTT 32 over 32 streams (1,024 characters a step) where every stream holds four windows: at
 *   equal characters a 2×256 GRU reached 1.3017 at 32 streams and 1.3181 at 16 (twice the steps),
 *   and with two data-parallel workers 32 × 32 trained it as fast as 64 × 64 (45k and 47k chars/s);
 *   fewer streams and shorter windows for a small corpus. The lesson's 8 sees only 8 characters.
 * - Adam at a peak of 3e-3 up to 16 passes, lower for more (peakLearningRate: 1.5e-3 from 32
 *   passes; at most 2e-3 above two million parameters), a short linear warm-up and a cosine to 5% at
 *   the end of the budget; gradient norm clipped at 2 (nanoGPT clips at 1, char-rnn at 5).
 */
import { largestTrainingBatchSize, largestTrainingBptt } from '@charrnn/data';
import { gateCount } from '@charrnn/graph';
import type { Arch } from '../model/config.js';
import type { FitOptions } from './fit-options.js';

export const TOKENS_PER_PARAMETER = 4;
export const DATA_PARAMETER_RATIO = 1.5;
/** The longest budget a run accepts: a week. */
export const MAX_MINUTES = 7 * 24 * 60;
/**
 * Dropout for a run that makes `passes` passes over its training text: 0.05·log2(passes) − 0.05,
 * none up to two passes, 0.1 at 8, 0.2 at 32, at most 0.4 (rounded to 0.01).
 */
export function dropoutLevel(passes: number): number {
  const level = Math.min(0.4, Math.max(0, 0.05 * Math.log2(passes) - 0.05));
  return Math.round(level * 100) / 100;
}

/**
 * Adam's peak rate for `passes` passes over the training text: 3e-3 up to 16 passes, then
 * 3e-3 · 16 / passes down to 1.5e-3 from 32 passes on; at most 2e-3 above two million parameters.
 * While the rate is near 3e-3 a 2×256 GRU's training loss stays on a plateau (about 1.41 from pass
 * 7 to 16 of a 42-pass cosine), so a long run at that peak spends its extra passes there and gains
 * only in the cosine's tail; at a 1.5e-3 peak the loss falls throughout, and the dropout the passes
 * call for keeps it from overfitting.
 */
export function peakLearningRate(passes: number, parameters: number): number {
  const rate = 3e-3 * Math.min(1, Math.max(0.5, 16 / passes));
  return Number(Math.min(rate, parameters > 2e6 ? 2e-3 : Infinity).toPrecision(2));
}

/** The smallest recipe: batch 8, BPTT 16; a corpus needs two windows of it to train and validate. */
export const SMALLEST = { bs: 8, bptt: 16 } as const;

export class PlanError extends Error {
  override name = 'PlanError';
}

/** A model size the planner may choose. */
interface Size {
  hidden: number;
  layers: number;
  embed: number;
}

const SIZES: readonly Size[] = [
  { hidden: 32, layers: 1, embed: 16 },
  { hidden: 64, layers: 1, embed: 32 },
  { hidden: 96, layers: 2, embed: 32 },
  { hidden: 128, layers: 2, embed: 48 },
  { hidden: 192, layers: 2, embed: 64 },
  { hidden: 256, layers: 2, embed: 64 },
  { hidden: 384, layers: 2, embed: 64 },
  { hidden: 512, layers: 2, embed: 96 },
  { hidden: 640, layers: 3, embed: 128 },
  { hidden: 768, layers: 3, embed: 128 },
  { hidden: 1024, layers: 3, embed: 128 },
];

/** The settings a plan may choose; anything given explicitly is kept as given. */
export type PlannedKey =
  | 'arch'
  | 'hidden'
  | 'layers'
  | 'embed'
  | 'bs'
  | 'bptt'
  | 'dropout'
  | 'outputDropout'
  | 'embedDropout'
  | 'weightDrop'
  | 'schedule'
  | 'clip'
  | 'optimizer';

export interface PlanChoice {
  setting: PlannedKey;
  value: string;
  why: string;
}

export interface Plan {
  /** The run's options: `base` with the chosen settings. */
  options: FitOptions;
  choices: PlanChoice[];
  /** Training characters per second expected of the chosen model. */
  charsPerSecond: number;
  /** Training characters the budget affords at that speed. */
  plannedChars: number;
  parameters: number;
}

/** Refuses a budget that is not a number of minutes a run can use, naming the limits; `label` names a budget as the caller's user gives it. */
export function checkMinutes(minutes: number, label: (minutes: number) => string = (m) => `--minutes ${m}`): void {
  if (!(Number.isFinite(minutes) && minutes > 0 && minutes <= MAX_MINUTES)) {
    throw new PlanError(`${label(minutes)} is not a training budget: give a number of minutes above 0 and at most ${MAX_MINUTES} (a week), e.g. ${label(3)}`);
  }
}

/** Parameters of an embedding → `layers` × cell → decoder model. */
export function parameterCount(arch: Arch, size: Size, vocab: number): number {
  const g = gateCount(arch);
  let n = vocab * size.embed + vocab * size.hidden + vocab;
  for (let l = 0; l < size.layers; l++) n += g * size.hidden * ((l === 0 ? size.embed : size.hidden) + size.hidden + 2);
  return n;
}

/**
 * Relative training cost per character: the matrix products (input, recurrent, decoder), forward
 * and backward alike, plus the element-wise gate work, which weighs on small models.
 */
export function costPerCharacter(arch: Arch, size: Size, vocab: number): number {
  const g = gateCount(arch);
  // A fixed share per character stands for the per-step work that does not shrink with the model (measured: small models are overhead-bound).
  let flops = 30_000 + size.hidden * vocab;
  for (let l = 0; l < size.layers; l++) flops += g * size.hidden * ((l === 0 ? size.embed : size.hidden) + size.hidden) + 12 * g * size.hidden;
  return flops;
}

/** The batch and BPTT a training split of `tokens` affords: 32 × 32 when every stream holds four windows or more. */
export function batchShape(tokens: number): { bs: number; bptt: number } {
  let bs = 32;
  let bptt = 32;
  while (bs > SMALLEST.bs && tokens < bs * bptt * 4) bs /= 2;
  while (bptt > SMALLEST.bptt && tokens < bs * bptt * 4) bptt /= 2;
  return { bs, bptt };
}

/** Throws PlanError when no recipe fits the corpus, naming the characters it needs. */
export function checkCorpusForPlan(trainTokens: number, validTokens: number): void {
  const { bs, bptt } = SMALLEST;
  const needTrain = 2 * bs * bptt;
  const needValid = 2 * bs;
  if (trainTokens < needTrain || validTokens < needValid) {
    throw new PlanError(
      `the corpus is too small for any time-budget recipe: it has ${trainTokens} training and ${validTokens} validation characters; ` +
        `the smallest recipe (batch ${bs}, BPTT ${bptt}) needs at least ${needTrain} and ${needValid}` +
        (largestTrainingBatchSize(trainTokens, bptt) > 0 || largestTrainingBptt(trainTokens, bs) > 0 ? ' (a run with a smaller batch size and BPTT chosen by hand may still fit)' : ''),
    );
  }
}

export interface PlanInput {
  minutes: number;
  /** Seconds of the budget already spent (planning) and so not available to train. */
  spent: number;
  trainTokens: number;
  validTokens: number;
  vocabSize: number;
  /** The run's other options (engine, corpus, text, seed …); planned settings replace theirs. */
  base: FitOptions;
  /** Settings given explicitly: kept, and the plan sized around them. */
  given: Partial<FitOptions>;
  /** Measured speed of a reference model on this machine: training characters per second. */
  measured: { options: FitOptions; charsPerSecond: number };
}

/** The recipe for `input` (pure: the measurement is an input). */
export function planRecipe(input: PlanInput): Plan {
  const { given, vocabSize: V, trainTokens: N } = input;
  const arch: Arch = given.arch ?? 'gru';
  const m = input.measured.options;
  const refCost = costPerCharacter(m.arch, { hidden: m.hidden, layers: m.layers, embed: m.embed }, V);
  const seconds = Math.max(0, input.minutes * 60 - input.spent);
  const speedOf = (size: Size) => (input.measured.charsPerSecond * refCost) / costPerCharacter(arch, size, V);
  const withGiven = (size: Size): Size => ({ hidden: given.hidden ?? size.hidden, layers: given.layers ?? size.layers, embed: given.embed ?? size.embed });
  const candidates = SIZES.map(withGiven);
  const fits = (size: Size) => {
    const p = parameterCount(arch, size, V);
    return speedOf(size) * seconds >= TOKENS_PER_PARAMETER * p && p <= DATA_PARAMETER_RATIO * N;
  };
  let index = 0;
  candidates.forEach((size, i) => {
    if (fits(size)) index = i;
  });
  const size = candidates[index];
  const parameters = parameterCount(arch, size, V);
  const charsPerSecond = speedOf(size);
  const plannedChars = charsPerSecond * seconds;
  const passes = plannedChars / N;
  const shape = batchShape(N);
  const level = dropoutLevel(passes);
  const dropout = size.layers > 1 ? level : 0;
  const lr = peakLearningRate(passes, parameters);
  const limit = fits(size) ? 'the largest' : 'the smallest (none fits the rule)';
  const sizeWhy = `${limit} that trains on ≥ ${TOKENS_PER_PARAMETER} characters per parameter in ${Math.round(seconds)} s at the measured speed (${fmt(plannedChars)} for ${fmt(parameters)}) and has ≤ ${DATA_PARAMETER_RATIO} parameters per training character (${fmt(N)})`;
  const plan: Record<PlannedKey, [FitOptions[PlannedKey], string]> = {
    arch: [arch, 'cheaper per parameter than lstm (3 gates, not 4) at the same quality on characters'],
    hidden: [size.hidden, sizeWhy],
    layers: [size.layers, size.layers > 1 ? 'two or more layers from hidden 96 on (char-rnn; dropout between them)' : 'one layer at this size'],
    embed: [size.embed, 'a character needs few dimensions; the recurrence is where the size pays'],
    bs: [shape.bs, shape.bs === 32 ? '32 streams: as fast as 64 on two workers, and twice the steps' : `the largest that gives every stream 4 windows of ${shape.bptt} in ${fmt(N)} characters`],
    bptt: [shape.bptt, shape.bptt === 32 ? 'gradients through 32 characters of context; a short budget needs steps' : `the longest that gives every stream 4 windows`],
    dropout: [dropout, size.layers > 1 ? `between layers (locked over a window), for ${passes.toFixed(1)} passes over the data` : 'one layer: nothing between layers'],
    outputDropout: [level, level > 0 ? `locked dropout before the decoder, for ${passes.toFixed(1)} passes` : `${passes.toFixed(1)} passes over the data need no dropout`],
    embedDropout: [level, level > 0 ? 'the same level on the embedding' : 'none'],
    weightDrop: [0, 'none: in budgets of minutes it slowed learning more than it regularised'],
    schedule: [`cosine@${lr},warmup=0.03,final=0.05`, `Adam at ${lr}, warm-up over 3% of the budget, cosine down to 5% at its end`],
    clip: [2, 'clipping the gradient norm keeps a large learning rate stable'],
    optimizer: ['adam', 'adaptive steps; the schedule sets its rate'],
  };
  const options: FitOptions = { ...input.base, minutes: input.minutes };
  const choices: PlanChoice[] = [];
  for (const key of Object.keys(plan) as PlannedKey[]) {
    const [value, why] = plan[key];
    const isGiven = given[key] !== undefined;
    const chosen = isGiven ? given[key] : value;
    Object.assign(options, { [key]: chosen });
    choices.push({ setting: key, value: String(chosen), why: isGiven ? 'given' : why });
  }
  return { options, choices, charsPerSecond, plannedChars, parameters };
}

/** The plan as the one table `train:fit --minutes` prints. */
export function planTable(plan: Plan, measured: { options: FitOptions; charsPerSecond: number }, engine: string): string[] {
  const m = measured.options;
  const width = Math.max(...plan.choices.map((c) => c.value.length), 5);
  const names = Math.max(...plan.choices.map((c) => c.setting.length), 7);
  return [
    `plan for ${plan.options.minutes} min: ${fmt(plan.parameters)} parameters, ~${fmt(plan.charsPerSecond)} chars/s, ~${fmt(plan.plannedChars)} training characters ` +
      `(measured ${fmt(measured.charsPerSecond)} chars/s for ${m.arch} ${m.layers}×${m.hidden} on ${engine})`,
    `  ${'setting'.padEnd(names)} ${'value'.padEnd(width)}  why`,
    ...plan.choices.map((c) => `  ${c.setting.padEnd(names)} ${c.value.padEnd(width)}  ${c.why}`),
  ];
}

function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(Math.round(n));
}

/** The reference model the warm-up measures: what the plan would choose at a typical speed, so that its graph is often the one the run trains. */
export function warmupModel(input: Omit<PlanInput, 'measured' | 'spent'>): FitOptions {
  const typical = { options: { ...input.base, arch: 'gru' as const, hidden: 256, layers: 1, embed: 64 }, charsPerSecond: 60_000 };
  return planRecipe({ ...input, spent: 0, measured: typical }).options;
}
