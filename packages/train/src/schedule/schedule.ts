/**
 * Learning-rate schedules over epochs, evaluated at fractional epoch positions.
 * - piecewise: the lesson's set_lrs between fits, "6@1e-3,3@1e-4" = 6 epochs at 1e-3 then 3 at 1e-4;
 * - sgdr: cosine annealing with warm restarts (Loshchilov & Hutter 2017; the lesson's
 *   fit(lr, cycles, cycle_len, cycle_mult)), annealed per batch from lr down to 0 within each cycle.
 * - cosine: a linear warm-up to lr over the first `warmup` of the run, then one cosine down to
 *   `final`·lr at its end (nanoGPT's and most modern recipes' schedule). Over `epochs` epochs, or,
 *   without them, over a time budget (`train:fit --minutes`): the run says how far it is.
 */
export type Schedule =
  | { kind: 'piecewise'; phases: { epochs: number; lr: number }[] }
  | { kind: 'sgdr'; lr: number; cycles: number; cycleLen: number; cycleMult: number }
  | { kind: 'cosine'; lr: number; epochs: number | null; warmup: number; final: number };

/** The cosine schedule's warm-up share and final ratio unless the spec gives them. */
export const COSINE_DEFAULTS = { warmup: 0.02, final: 0.05 } as const;

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

const NUMBER = '([0-9]*\\.?[0-9]+(?:e[-+]?[0-9]+)?)';

/**
 * Parses "6@1e-3,3@1e-4", "sgdr:<cycles>x<cycleLen>x<cycleMult>@<lr>" (e.g. "sgdr:3x1x2@1e-3" =
 * cycles of 1, 2 and 4 epochs), or "cosine[:<epochs>]@<lr>[,warmup=<share>][,final=<ratio>]"
 * (e.g. "cosine:10@3e-3", or "cosine@3e-3,warmup=0.05" over a time budget).
 */
export function parseSchedule(text: string): Schedule {
  const spec = text.trim();
  const cosine = new RegExp(`^cosine(?::(\\d+))?@${NUMBER}((?:,[a-z]+=${NUMBER})*)$`, 'i').exec(spec);
  if (cosine) return parseCosine(text, cosine);
  const sgdr = new RegExp(`^sgdr:(\\d+)x(\\d+)x(\\d+)@${NUMBER}$`, 'i').exec(spec);
  if (sgdr) {
    const [cycles, cycleLen, cycleMult] = [1, 2, 3].map((i) => Number(sgdr[i]));
    const lr = Number(sgdr[4]);
    if (cycles < 1 || cycleLen < 1 || cycleMult < 1 || !(lr > 0)) {
      throw new ScheduleError(`schedule ${JSON.stringify(text)}: cycles, cycle length and multiplier must be ≥ 1 and lr > 0`);
    }
    return { kind: 'sgdr', lr, cycles, cycleLen, cycleMult };
  }
  const phases = spec.split(',').map((part) => {
    const m = new RegExp(`^(\\d+)@${NUMBER}$`, 'i').exec(part.trim());
    if (!m || Number(m[1]) < 1 || !(Number(m[2]) > 0)) {
      throw new ScheduleError(
        `schedule ${JSON.stringify(text)}: part ${JSON.stringify(part)} is not <epochs>@<lr>; expected e.g. "6@1e-3,3@1e-4" or "sgdr:3x1x2@1e-3"`,
      );
    }
    return { epochs: Number(m[1]), lr: Number(m[2]) };
  });
  return { kind: 'piecewise', phases };
}

/** A learning rate as people write them: 0.001 → "1e-3", 0.25 → "0.25", 1e20 → "1e+20" (never 21 digits). */
export function formatLearningRate(lr: number): string {
  if (!Number.isFinite(lr)) return String(lr);
  const short = Number(lr.toPrecision(6));
  if (short !== 0 && (Math.abs(short) < 1e-2 || Math.abs(short) >= 1e4)) return short.toExponential();
  return String(short);
}

function parseCosine(text: string, m: RegExpExecArray): Schedule {
  const epochs = m[1] === undefined ? null : Number(m[1]);
  const lr = Number(m[2]);
  const settings: Record<string, number> = { ...COSINE_DEFAULTS };
  for (const part of m[3].split(',').slice(1)) {
    const [key, value] = part.split('=');
    if (!(key.toLowerCase() in COSINE_DEFAULTS)) {
      throw new ScheduleError(`schedule ${JSON.stringify(text)}: unknown setting ${JSON.stringify(key)}; a cosine schedule takes warmup=<share of the run> and final=<ratio of lr>`);
    }
    settings[key.toLowerCase()] = Number(value);
  }
  const { warmup, final } = settings;
  if (epochs === 0 || !(lr > 0) || !(warmup >= 0 && warmup < 1) || !(final >= 0 && final <= 1)) {
    throw new ScheduleError(`schedule ${JSON.stringify(text)}: expected epochs ≥ 1, lr > 0, warmup in [0, 1) and final in [0, 1], e.g. "cosine:10@3e-3,warmup=0.02,final=0.05"`);
  }
  return { kind: 'cosine', lr, epochs, warmup, final };
}

export function formatSchedule(s: Schedule): string {
  if (s.kind === 'cosine') return `cosine${s.epochs === null ? '' : `:${s.epochs}`}@${formatLearningRate(s.lr)},warmup=${s.warmup},final=${s.final}`;
  return s.kind === 'piecewise'
    ? s.phases.map((p) => `${p.epochs}@${formatLearningRate(p.lr)}`).join(',')
    : `sgdr:${s.cycles}x${s.cycleLen}x${s.cycleMult}@${formatLearningRate(s.lr)}`;
}

/** Epochs the schedule runs; Infinity for a cosine schedule over a time budget. */
export function totalEpochs(s: Schedule): number {
  if (s.kind === 'cosine') return s.epochs ?? Infinity;
  if (s.kind === 'piecewise') return s.phases.reduce((n, p) => n + p.epochs, 0);
  let n = 0;
  for (let c = 0, len = s.cycleLen; c < s.cycles; c++, len *= s.cycleMult) n += len;
  return n;
}

/**
 * The learning rate at `epoch` (0-based) plus `fraction` ∈ [0, 1) of it; a cosine schedule over a
 * time budget reads `progress` ∈ [0, 1] instead, the share of the budget spent.
 */
export function learningRate(s: Schedule, epoch: number, fraction: number, progress?: number): number {
  if (s.kind === 'cosine') {
    if (s.epochs !== null) return cosineAt(s, (epoch + fraction) / s.epochs);
    if (progress === undefined) throw new ScheduleError(`schedule ${formatSchedule(s)} runs over a time budget: give it the progress through the budget`);
    return cosineAt(s, progress);
  }
  if (s.kind === 'piecewise') {
    let start = 0;
    for (const p of s.phases) {
      if (epoch < start + p.epochs) return p.lr;
      start += p.epochs;
    }
    return s.phases[s.phases.length - 1].lr;
  }
  const position = epoch + fraction;
  let start = 0;
  let len = s.cycleLen;
  for (let c = 0; c < s.cycles; c++, start += len, len *= s.cycleMult) {
    if (position < start + len) return (s.lr / 2) * (1 + Math.cos((Math.PI * (position - start)) / len));
  }
  return 0;
}

/** Warm-up then cosine at share `p` of the run; the warm-up starts at 1% of lr rather than a wasted step at 0. */
function cosineAt(s: { lr: number; warmup: number; final: number }, p: number): number {
  const at = Math.min(1, Math.max(0, p));
  if (at < s.warmup) return s.lr * Math.max(0.01, at / s.warmup);
  const q = s.warmup < 1 ? (at - s.warmup) / (1 - s.warmup) : 1;
  return s.lr * (s.final + (1 - s.final) * 0.5 * (1 + Math.cos(Math.PI * q)));
}
