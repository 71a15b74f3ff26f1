import type { EpochRecord } from './history.js';

/** The speeds a time-budget run's plan measured on this machine, characters per second. */
export interface ExpectedSpeed {
  trainCharsPerSecond: number;
  evalCharsPerSecond: number;
}

/**
 * The clock of a time-budget run (`train:fit --minutes`): seconds spent so far (planning,
 * training, validation and saves, carried across a resume), the share of the training time the
 * learning-rate schedule has reached, when to validate, and when to stop so that the last
 * validation and save still end within the budget.
 */
export class BudgetClock {
  private readonly started: number;
  /** `now()` when the last validation ended. */
  private lastValidation: number;
  /** The cheapest validation so far, in seconds (the first may include building its graph); 0 before one. */
  private validationCost: number;
  /** Training characters per second: the plan's figure, then a running average of this process's steps. */
  private trainSpeed: number | undefined;
  private stepChars = 0;
  private steps = 0;

  /**
   * `budget` and `before` in seconds (`before`: spent before this process's clock starts: the
   * planning warm-up, or a resumed run's elapsed time); `clock` in milliseconds, injectable for tests.
   */
  constructor(
    readonly budget: number,
    private readonly before: number,
    history: readonly EpochRecord[],
    private readonly expected?: ExpectedSpeed,
    private readonly clock: () => number = () => performance.now(),
    validationSeconds = 0,
  ) {
    this.validationCost = validationSeconds;
    this.started = clock();
    this.lastValidation = history.length > 0 ? (history[history.length - 1].elapsed ?? before) : before;
    this.trainSpeed = expected?.trainCharsPerSecond;
  }

  /** Seconds of the run so far. */
  now(): number {
    return this.before + (this.clock() - this.started) / 1000;
  }

  /**
   * Records a training step. The first of a process is left out of the speed (it builds the
   * graph); later ones update a running average, so a machine that gets busier is noticed.
   */
  stepped(chars: number, seconds: number): void {
    this.stepChars = chars;
    if (this.steps++ === 0 && this.trainSpeed !== undefined) {
      // A first step far slower than planned built its graph: that time is not training between validations.
      if (seconds > 3 * (chars / this.trainSpeed)) this.lastValidation += seconds;
      return;
    }
    const speed = chars / Math.max(1e-6, seconds);
    this.trainSpeed = this.trainSpeed === undefined || this.steps <= 2 ? speed : 0.8 * this.trainSpeed + 0.2 * speed;
  }

  /** What a validation costs, as measured (0 before the first). */
  get validationSeconds(): number {
    return this.validationCost;
  }

  /** Records a validation that took `seconds`. */
  validated(seconds: number): void {
    this.validationCost = this.validationCost > 0 ? Math.min(this.validationCost, seconds) : seconds;
    this.lastValidation = this.now();
  }

  /**
   * Validate about 12 times a run (at least every 2 s, at most every 2 min), spending at most a
   * tenth of the time on it; not when the run ends within half an interval (its last validation comes then).
   */
  validationDue(validTokens: number): boolean {
    const interval = Math.max(Math.min(120, Math.max(2, this.budget / 12)), 10 * this.validationCost);
    const end = this.budget - this.reserve(validTokens);
    return this.now() - this.lastValidation >= interval && end - this.now() >= interval / 2;
  }

  /** What the end of the run costs after its last step: one validation of `validTokens` and a save, with a margin. */
  private reserve(validTokens: number): number {
    const evalSpeed = this.expected?.evalCharsPerSecond ?? 3 * (this.trainSpeed ?? Infinity);
    const validation = this.validationCost > 0 ? this.validationCost : validTokens / evalSpeed;
    return 1.2 * validation + 0.5;
  }

  /** The share of the training time spent, for the schedule: 1 at the last step. */
  progress(validTokens: number): number {
    const end = this.budget - this.reserve(validTokens);
    return end > 0 ? Math.min(1, this.now() / end) : 1;
  }

  /** Whether another step would leave too little of the budget for the last validation and save. */
  timeUp(validTokens: number): boolean {
    const step = this.trainSpeed ? this.stepChars / this.trainSpeed : 0;
    return this.now() + step + this.reserve(validTokens) >= this.budget;
  }
}
