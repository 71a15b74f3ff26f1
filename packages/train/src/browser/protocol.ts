/**
 * The messages between a page and its training worker (training-worker.ts ↔ browser-trainer.ts).
 * Plain structured-clone data: typed arrays, strings, numbers, records.
 */
import type { FitOptions } from '../trainer/fit-options.js';
import type { EpochRecord } from '../trainer/history.js';

/** Where the worker's onnxruntime-web sessions run. */
export type BrowserProvider = 'wasm' | 'webgpu';
export const BROWSER_PROVIDERS: readonly BrowserProvider[] = ['wasm', 'webgpu'];

/** A run as the page's storage keeps it: enough to show it and to resume it after a reload. */
export interface RunRecord {
  id: string;
  /** How the corpus is named (a dropped file's name, or "embedded:nietzsche.txt"). */
  corpusName: string;
  /** The run's options; `corpus` as a Node `train:fit --resume` should find it (undefined = the embedded corpus). */
  options: FitOptions;
  provider: BrowserProvider;
  /** ISO 8601. */
  created: string;
  /**
   * A time-budget run (options.minutes): the plan's table, what it chose and why (planTable).
   * Set when the worker has planned it; `options` are then the planned ones, so a reload resumes the same plan.
   */
  plan?: string[];
}

export type TrainerState = 'idle' | 'preparing' | 'training' | 'paused' | 'stopping' | 'stopped' | 'finished' | 'failed';

export type ToWorker =
  /** `given`: in a time-budget run, the settings the plan keeps as given (default none: it chooses them all). */
  | { type: 'start'; run: RunRecord; corpus: string; given?: Partial<FitOptions> }
  | { type: 'resume'; id: string }
  | { type: 'pause' }
  | { type: 'continue' }
  | { type: 'stop' };

export interface CorpusInfo {
  vocabSize: number;
  trainChars: number;
  validChars: number;
  /** The first epoch's batches (see epochBatches). */
  batchesPerEpoch: number;
  epochs: number;
  /** The batches each epoch trains (the loader's random lengths can end an epoch before its nominal count). */
  epochBatches: number[];
  /** A time-budget run: its budget in seconds (`epochs` is then Infinity and `epochBatches` empty). */
  budgetSeconds?: number;
}

export interface ProgressInfo {
  /** 0-based epoch and the batches of it done. */
  epoch: number;
  epochs: number;
  batch: number;
  /** The batches of this epoch. */
  batches: number;
  /** Batches of the run done, and its total: the sum of CorpusInfo.epochBatches. */
  done: number;
  total: number;
  step: number;
  /** This batch's mean cross-entropy. */
  loss: number;
  /** Training characters per second over the last few seconds (wall clock, in the worker). */
  charsPerSecond: number;
  /** Seconds to the end of the run at that rate (a time-budget run: to its deadline). */
  etaSeconds: number;
  /** A time-budget run: seconds of its budget spent (planning, training, validations, saves; carried over a resume) and the budget. */
  elapsed?: number;
  budgetSeconds?: number;
}

export type FromWorker =
  | { type: 'state'; state: TrainerState; runId: string | null; engine?: string }
  | { type: 'corpus'; runId: string; info: CorpusInfo }
  /** A time-budget run was planned: its table and the options it trains with (also in the stored RunRecord). */
  | { type: 'plan'; runId: string; table: string[]; options: FitOptions }
  | { type: 'progress'; runId: string; info: ProgressInfo }
  | { type: 'epoch'; runId: string; record: EpochRecord }
  /** A validation started (no progress messages until its epoch record). */
  | { type: 'validating'; runId: string; characters: number }
  | { type: 'saved'; runId: string; step: number; epoch: number; batch: number }
  | { type: 'sample'; runId: string; step: number; text: string }
  | { type: 'log'; runId: string; line: string }
  | { type: 'error'; runId: string | null; name: string; message: string };
