/**
 * Wall time per phase of the data-parallel engine's steps, on the main thread and in each worker,
 * to see where a step of N workers loses against 1/N of the one-thread step. Off unless the
 * environment variable CHARRNN_PHASE_TIMES is set (the engine then prints a table to stderr when
 * it is disposed); when off, every call is a no-op.
 */
export const PHASE_TIMES_ENV = 'CHARRNN_PHASE_TIMES';

export function phaseTimesWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[PHASE_TIMES_ENV];
  return value !== undefined && value !== '' && value !== '0';
}

/** Milliseconds spent in each named phase, summed over the steps. */
export type PhaseTotals = Record<string, number>;

export class PhaseTimes {
  private readonly totals: PhaseTotals = {};
  private last = 0;

  constructor(readonly enabled: boolean) {}

  /** Starts timing: the next `lap` counts from now. */
  start(): void {
    if (this.enabled) this.last = performance.now();
  }

  /** Adds the time since the last start or lap to `phase`, and starts the next phase. */
  lap(phase: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    this.totals[phase] = (this.totals[phase] ?? 0) + (now - this.last);
    this.last = now;
  }

  /** The totals so far, and zeroes them. */
  take(): PhaseTotals {
    const out = { ...this.totals };
    for (const key of Object.keys(this.totals)) delete this.totals[key];
    return out;
  }
}

/** Each phase's per-step times, in step order. */
export type PhaseSamples = Record<string, number[]>;

/** Appends one step's `totals` to `into`. */
export function addSamples(into: PhaseSamples, totals: PhaseTotals): void {
  for (const [phase, ms] of Object.entries(totals)) (into[phase] ??= []).push(ms);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[s.length >> 1];
}

/** One line per thread: each phase's mean and median milliseconds per step (a step that skipped a phase counts 0). */
export function formatPhaseTimes(threads: { name: string; samples: PhaseSamples }[], steps: number): string {
  const lines = [`data-parallel phase times over ${steps} steps, ms per step (mean / median):`];
  for (const { name, samples } of threads) {
    const cells = Object.entries(samples).map(([phase, xs]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / Math.max(steps, 1);
      return `${phase} ${mean.toFixed(3)} / ${median(xs).toFixed(3)}`;
    });
    const total = Object.values(samples).reduce((a, xs) => a + xs.reduce((x, y) => x + y, 0), 0) / Math.max(steps, 1);
    lines.push(`  ${name}: ${cells.join(', ')}; total ${total.toFixed(3)}`);
  }
  return lines.join('\n');
}
