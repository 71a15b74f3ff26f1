/**
 * Learning-rate schedules over epochs, evaluated at fractional epoch positions.
 * - piecewise: the lesson's set_lrs between fits, "6@1e-3,3@1e-4" = 6 epochs at 1e-3 then 3 at 1e-4;
 * - sgdr: cosine annealing with warm restarts (Loshchilov & Hutter 2017; the lesson's
 *   fit(lr, cycles, cycle_len, cycle_mult)), annealed per batch from lr down to 0 within each cycle.
 */
export type Schedule =
  | { kind: 'piecewise'; phases: { epochs: number; lr: number }[] }
  | { kind: 'sgdr'; lr: number; cycles: number; cycleLen: number; cycleMult: number };

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

const NUMBER = '([0-9]*\\.?[0-9]+(?:e[-+]?[0-9]+)?)';

/**
 * Parses "6@1e-3,3@1e-4" or "sgdr:<cycles>x<cycleLen>x<cycleMult>@<lr>" (e.g. "sgdr:3x1x2@1e-3" =
 * cycles of 1, 2 and 4 epochs).
 */
export function parseSchedule(text: string): Schedule {
  const spec = text.trim();
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

export function formatSchedule(s: Schedule): string {
  return s.kind === 'piecewise'
    ? s.phases.map((p) => `${p.epochs}@${formatLearningRate(p.lr)}`).join(',')
    : `sgdr:${s.cycles}x${s.cycleLen}x${s.cycleMult}@${formatLearningRate(s.lr)}`;
}

export function totalEpochs(s: Schedule): number {
  if (s.kind === 'piecewise') return s.phases.reduce((n, p) => n + p.epochs, 0);
  let n = 0;
  for (let c = 0, len = s.cycleLen; c < s.cycles; c++, len *= s.cycleMult) n += len;
  return n;
}

/** The learning rate at `epoch` (0-based) plus `fraction` ∈ [0, 1) of it. */
export function learningRate(s: Schedule, epoch: number, fraction: number): number {
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
