/**
 * The training loop, free of I/O so that Node (fit.ts) and the browser trainer share it: stateful
 * truncated BPTT as the lesson does it. The engine carries the hidden state across the batches of
 * an epoch (detached after each), reset to zeros at each epoch start and whenever the batch size
 * changes. After each epoch: exact validation loss, a table row, and a checkpoint handed to `save`.
 */
import { yieldToEventLoop } from '@charrnn/contract';
import { LanguageModelLoader, Rng, checkBatchFit, type Batch, type PreparedCorpus } from '@charrnn/data';
import type { ProgressSink } from '@charrnn/data/node';
import { CheckpointError } from '../checkpoint/errors.js';
import type { CheckpointMeta } from '../checkpoint/checkpoint.js';
import type { EngineFactory, TrainingEngine } from '../engine/engine.js';
import { regularizationOf } from '../engine/regularization.js';
import type { ModelConfig } from '../model/config.js';
import { randomWeights, tiedWeights, type Weights } from '../model/weights.js';
import { formatLearningRate, learningRate, parseSchedule, totalEpochs } from '../schedule/schedule.js';
import type { FitOptions } from './fit-options.js';
import { BudgetClock, type ExpectedSpeed } from './budget-clock.js';
import { TABLE_HEADER, tableRow, type EpochRecord } from './history.js';
import type { TrainerRecord, TrainingCheckpoint } from './training-checkpoint.js';
import { corpusSha256 } from './corpus-hash.js';

export interface TrainingRun {
  corpus: PreparedCorpus;
  options: FitOptions;
  /** Builds the engine the run trains on. */
  engine: EngineFactory;
  /** A checkpoint to continue exactly where it stopped (its options win over `options`). */
  resume?: TrainingCheckpoint;
  /** Persists a checkpoint: after every epoch, and when the run is interrupted. */
  save: (checkpoint: TrainingCheckpoint) => Promise<void>;
  /** Where `save` keeps checkpoints, for messages ("checkpoint saved to …"). */
  location: string;
  /** Within-epoch progress (batches, with loss and chars/s). */
  progress?: ProgressSink;
  /** Receives the table header, one row per epoch, and notes. */
  log?: (line: string) => void;
  /** When aborted, the current batch finishes, a checkpoint is saved and the loop returns. */
  signal?: AbortSignal;
  /**
   * Awaited before every batch: while the promise it returns is pending, training holds (a page's
   * Pause). Aborting `signal` should settle it, so that a paused run can still be stopped.
   */
  pause?: () => Promise<void> | undefined;
  /**
   * Also save mid-epoch when this many seconds of training passed since the last save, so that
   * a run that can end at any moment (a page closed or reloaded) loses at most that much.
   */
  saveEverySeconds?: number;
  /** Called after every optimizer step. */
  onBatch?: (info: { epoch: number; batch: number; step: number; loss: number }) => void;
  /** Called after every epoch with its record. */
  onEpoch?: (record: EpochRecord) => void;
  /** An epoch-count run: called once before training with the batches each epoch will train (the last ones may be fewer than the nominal count). */
  onPlan?: (epochBatches: readonly number[]) => void;
  /** Called as a validation starts, with the characters it reads. */
  onValidate?: (info: { characters: number }) => void;
  /** A time-budget run (options.minutes): seconds already spent before the loop (planning). */
  elapsedBefore?: number;
  /** The clock the loop times steps and a time budget with, in milliseconds (tests inject one; default performance.now). */
  now?: () => number;
  /** A time-budget run: the speeds its plan measured, until its own steps and validations say better. */
  expected?: ExpectedSpeed;
}

export interface TrainingResult {
  /** The engine that trained, e.g. "onnxruntime-node (cpu)" or "tfjs (wasm)". */
  engine: string;
  history: EpochRecord[];
  interrupted: boolean;
  /** An interrupted run saved a checkpoint as it stopped, to continue from exactly there (not while its loss was diverging). */
  resumable: boolean;
  step: number;
}

/**
 * The loss became NaN or infinite, or stayed far above chance; nothing was saved after the last
 * good epoch. The message says what to try in words; a front end adds how its user sets it.
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    message: string,
    /** Where the loss went wrong: a training batch (a lower learning rate or clipping helps) or a validation. */
    readonly during: 'training' | 'validation',
  ) {
    super(message);
  }
}

/**
 * The divergence guard: a model that predicts nothing scores ln(vocab) per character, so a loss
 * of DIVERGED_FACTOR·ln(vocab) is far worse than an untrained model. A window of such losses can
 * be a spike; DIVERGED_BATCHES of them in a row (or one such validation loss) is a run that has
 * diverged without reaching NaN (seen: lr 1e3 gives losses of 4,000–14,000 for ever).
 */
export const DIVERGED_FACTOR = 3;
export const DIVERGED_BATCHES = 20;
/** What a diverged training loss message ends with. */
const DIVERGED_ADVICE = 'Try a lower learning rate or gradient clipping.';

export function modelConfigFor(options: FitOptions, vocabSize: number): ModelConfig {
  return {
    arch: options.arch,
    vocabSize,
    embeddingDim: options.embed,
    hiddenSize: options.hidden,
    numLayers: options.layers,
    dropout: options.dropout,
  };
}

export async function trainingLoop(run: TrainingRun): Promise<TrainingResult> {
  const options = run.resume?.trainer.options ?? run.options;
  const { corpus } = run;
  const config = modelConfigFor(options, corpus.vocab.size);
  checkBatchFit({ trainTokens: corpus.train.length, validTokens: corpus.valid.length }, { batchSize: options.bs, bptt: options.bptt });
  const meta: CheckpointMeta = { config, vocab: [...corpus.vocab.itos], lower: corpus.lower, text: corpus.text };
  if (run.resume) refuseOtherRun(run.resume.meta, meta);
  const corpusHash = await corpusSha256(corpus);
  if (run.resume) refuseOtherCorpus(run.resume.trainer.corpusSha256, corpusHash, corpus, options);
  const engine: TrainingEngine = await run.engine({
    config,
    weights: run.resume?.weights ?? (options.tie ? tiedWeights(randomWeights(config, options.seed)) : randomWeights(config, options.seed)),
    optimizer: options.optimizer,
    momentum: options.momentum,
    clip: options.clip,
    optimizerState: run.resume?.optimizer,
    regularization: regularizationOf(options, config),
  });
  return new LoopRun(run, options, meta, corpusHash, engine).train();
}

/** A resumed run must train the model it saved, on the text it was prepared from. */
function refuseOtherRun(saved: CheckpointMeta, meta: CheckpointMeta): void {
  if (JSON.stringify(saved.vocab) !== JSON.stringify(meta.vocab) || saved.lower !== meta.lower) {
    throw new CheckpointError(`cannot resume: the checkpoint's vocabulary (${saved.vocab.length} tokens) differs from the corpus prepared with its options (${meta.vocab.length} tokens)`);
  }
  if ((saved.text ?? 'lesson') !== meta.text) {
    throw new CheckpointError(`cannot resume: the checkpoint was trained on ${saved.text ?? 'lesson'} text, the corpus is prepared as ${meta.text} text`);
  }
  if (JSON.stringify(saved.config) !== JSON.stringify(meta.config)) {
    throw new CheckpointError(`cannot resume: checkpoint config ${JSON.stringify(saved.config)} differs from its trainer options ${JSON.stringify(meta.config)}`);
  }
}

/** Runs saved before the hash was kept have none (`savedHash` undefined): their vocabulary was checked by refuseOtherRun. */
function refuseOtherCorpus(savedHash: string | undefined, corpusHash: string, corpus: PreparedCorpus, options: FitOptions): void {
  if (savedHash !== undefined && savedHash !== corpusHash) {
    throw new CheckpointError(
      `cannot resume: the corpus (${options.corpus ?? 'the embedded corpus'}) is not the text the run was trained on: prepared with the run's options it has SHA-256 ${corpusHash.slice(0, 12)}… ` +
        `(${corpus.train.length} training and ${corpus.valid.length} validation characters), the run's had ${savedHash.slice(0, 12)}…; restore that text, or start a new run on this one`,
    );
  }
}

/** How an epoch ended: run to its end, the time budget spent, or stopped by the signal (with a checkpoint saved or not). */
type EpochEnd = 'done' | 'time up' | { saved: boolean };

/** One run of the loop once its engine is built: the state that windows, validations and checkpoints share. */
class LoopRun {
  private readonly log: (line: string) => void;
  private readonly schedule: ReturnType<typeof parseSchedule>;
  private readonly epochs: number;
  private readonly divergedAbove: number;
  private readonly record: TrainerRecord | undefined;
  private readonly rng: Rng;
  private readonly history: EpochRecord[];
  private readonly now: () => number;
  /** A time-budget run's clock; null in an epoch-count run. */
  private readonly clock: BudgetClock | null;
  private readonly loader: LanguageModelLoader;
  private readonly perEpoch: number;
  private step: number;
  /** Training batches in a row whose loss was above `divergedAbove`. */
  private aboveInARow = 0;
  private best: NonNullable<TrainerRecord['best']> | null;
  /** The best validation's weights in this process (a time-budget run ends on them when the last validation is worse). */
  private bestWeights: Weights | null = null;
  /** What the next table row sums: the epoch, or in a time-budget run the training since the last validation. */
  private partial: Window;

  constructor(
    private readonly run: TrainingRun,
    private readonly options: FitOptions,
    private readonly meta: CheckpointMeta,
    private readonly corpusHash: string,
    private readonly engine: TrainingEngine,
  ) {
    const { corpus } = run;
    this.log = run.log ?? (() => {});
    this.schedule = parseSchedule(options.schedule);
    this.epochs = options.minutes !== undefined ? Infinity : totalEpochs(this.schedule);
    this.divergedAbove = DIVERGED_FACTOR * Math.log(corpus.vocab.size);
    this.rng = new Rng(options.seed, 1);
    const record = (this.record = run.resume?.trainer);
    if (record) this.rng.setState(record.rng);
    this.step = record?.step ?? 0;
    this.history = [...(record?.history ?? [])];
    this.now = run.now ?? (() => performance.now());
    this.clock = options.minutes !== undefined ? new BudgetClock(options.minutes * 60, record?.elapsed ?? run.elapsedBefore ?? 0, this.history, run.expected, run.now, record?.validationSeconds) : null;
    // A time budget trains windows of one length (one graph to build instead of one per length), each pass from a random row below bptt.
    this.loader = new LanguageModelLoader(corpus.train, { batchSize: options.bs, bptt: options.bptt, seed: options.seed, shiftedStart: this.clock !== null });
    this.perEpoch = Math.min(this.loader.length, options.maxBatches ?? Infinity);
    this.best = record?.best ?? null;
    this.partial = record ? { batches: 0, ...record.partial } : emptyWindow();
  }

  async train(): Promise<TrainingResult> {
    const { run, clock, record } = this;
    this.log(TABLE_HEADER);
    for (const r of this.history) this.log(tableRow(r));
    if (!clock) run.onPlan?.(Array.from({ length: this.epochs }, (_, e) => this.batchesOf(e)));
    const startEpoch = record?.epoch ?? 0;
    try {
      if (clock) run.progress?.start(Math.round(clock.budget), `${formatMinutes(clock.budget)} budget`);
      for (let epoch = startEpoch; epoch < this.epochs; epoch++) {
        const end = await this.trainEpoch(epoch, epoch === startEpoch ? (record?.batch ?? 0) : 0);
        if (typeof end === 'object') return this.result(true, end.saved);
        if (end === 'time up') break;
      }
    } finally {
      run.progress?.stop();
      await this.engine.dispose();
    }
    return this.result(false, false);
  }

  private result(interrupted: boolean, resumable: boolean): TrainingResult {
    return { engine: this.engine.name, history: this.history, interrupted, resumable, step: this.step };
  }

  /** The batches epoch `epoch` trains: the loader's draws can end it before its nominal length. */
  private batchesOf(epoch: number): number {
    return Math.min(this.loader.epochLength(epoch), this.perEpoch);
  }

  /** Trains epoch `epoch` from batch `startBatch` (a resumed run's position; the batches before it are replayed, not trained). */
  private async trainEpoch(epoch: number, startBatch: number): Promise<EpochEnd> {
    const { run, engine, clock, options, perEpoch } = this;
    const validChars = run.corpus.valid.length;
    const resuming = startBatch > 0 && run.resume?.hidden;
    if (resuming) engine.setState(run.resume!.hidden!);
    else engine.resetState(options.bs);
    if (!clock && !resuming) this.partial = emptyWindow();
    let savedAt = this.partial.seconds;
    const epochLr = clock ? 0 : learningRate(this.schedule, epoch, 0);
    if (!clock) run.progress?.start(this.batchesOf(epoch), `epoch ${epoch + 1}/${this.epochs}`);
    let i = 0;
    let timeUp = false;
    for (const batch of this.loader.epoch(epoch)) {
      if (i >= perEpoch) break;
      if (i < startBatch) {
        i++; // replaying the loader to the saved position costs no compute
        continue;
      }
      await run.pause?.();
      if (run.signal?.aborted) return { saved: await this.interrupt(epoch, i) };
      const lr = clock ? learningRate(this.schedule, epoch, 0, clock.progress(validChars)) : learningRate(this.schedule, epoch, i / perEpoch);
      await this.trainBatch(batch, epoch, i, lr);
      i++;
      if (clock) {
        timeUp = clock.timeUp(validChars);
        if (timeUp) break;
        if (clock.validationDue(validChars)) {
          await this.validate(epoch, epochPosition(epoch, i, perEpoch), this.partial, lr);
          this.partial = emptyWindow();
          // The resume point: the engine's own weights and state.
          if (this.aboveInARow === 0) await this.save(epoch, i, this.partial, true, false);
        }
      } else if (run.saveEverySeconds !== undefined && this.aboveInARow === 0 && this.partial.seconds - savedAt >= run.saveEverySeconds && i < perEpoch) {
        await this.save(epoch, i, this.partial, true);
        savedAt = this.partial.seconds;
      }
      await yieldToEventLoop();
      this.showProgress(i);
    }
    if (clock) {
      if (timeUp) await this.endBudget(epoch, i);
      // Otherwise the next epoch starts from zero state and a new window of the loader; the table row continues.
      return timeUp ? 'time up' : 'done';
    }
    run.progress?.stop();
    await this.validate(epoch, epoch + 1, { ...this.partial, batches: i }, epochLr);
    this.partial = emptyWindow();
    await this.save(epoch + 1, 0, { lossSum: 0, targets: 0, seconds: 0 }, false);
    return 'done';
  }

  /** One optimizer step on batch `i` of epoch `epoch`, with the divergence guard, summed into the current window. */
  private async trainBatch(batch: Batch, epoch: number, i: number, lr: number): Promise<void> {
    const { engine, divergedAbove, partial } = this;
    if (engine.stateBatch !== batch.batchSize) engine.resetState(batch.batchSize);
    const t0 = this.now();
    const { loss } = await engine.trainStep(batch, lr, this.rng);
    if (!Number.isFinite(loss)) {
      throw new TrainingDivergedError(
        `training loss became ${loss} at epoch ${epoch + 1}, batch ${i + 1} (lr ${formatLearningRate(lr)}); ${this.lastGood()}. ${DIVERGED_ADVICE}`,
        'training',
      );
    }
    this.aboveInARow = loss > divergedAbove ? this.aboveInARow + 1 : 0;
    if (this.aboveInARow >= DIVERGED_BATCHES) {
      throw new TrainingDivergedError(
        `training diverged: the loss stayed above ${divergedAbove.toFixed(2)} (${DIVERGED_FACTOR} × ln(vocab ${this.run.corpus.vocab.size}), worse than an untrained model) for ${DIVERGED_BATCHES} batches, ` +
          `${loss.toPrecision(4)} at epoch ${epoch + 1}, batch ${i + 1} (lr ${formatLearningRate(lr)}); ${this.lastGood()}. ${DIVERGED_ADVICE}`,
        'training',
      );
    }
    this.step++;
    const targets = batch.seqLen * batch.batchSize;
    partial.lossSum += loss * targets;
    partial.targets += targets;
    const seconds = (this.now() - t0) / 1000;
    partial.seconds += seconds;
    partial.batches++;
    this.clock?.stepped(targets, seconds);
    this.run.onBatch?.({ epoch, batch: i + 1, step: this.step, loss });
  }

  private showProgress(i: number): void {
    const { partial, clock } = this;
    const figures = { loss: (partial.lossSum / Math.max(1, partial.targets)).toFixed(4), 'chars/s': Math.round(partial.targets / Math.max(1e-9, partial.seconds)) };
    this.run.progress?.update(clock ? Math.min(Math.round(clock.budget), Math.round(clock.now())) : i, figures);
  }

  /** The signal fired before batch `i`: saves where the run stands (true), unless its weights are mid-way into a divergence (false). */
  private async interrupt(epoch: number, i: number): Promise<boolean> {
    this.run.progress?.stop();
    if (this.aboveInARow > 0) {
      // The weights in memory are mid-way into a divergence: keep the last good checkpoint instead.
      this.log(`interrupted at epoch ${epoch + 1} batch ${i} while the loss was above ${this.divergedAbove.toFixed(2)}; nothing saved, ${this.lastGood()}`);
      return false;
    }
    await this.save(epoch, i, this.partial, true);
    this.log(`interrupted at epoch ${epoch + 1} batch ${i}; checkpoint saved to ${this.run.location}`);
    return true;
  }

  /** A time budget spent after batch `i`: a last validation, and the final checkpoint on the best weights seen. */
  private async endBudget(epoch: number, i: number): Promise<void> {
    const { run, history } = this;
    run.progress?.stop();
    const last = this.partial.targets > 0 ? await this.validate(epoch, epochPosition(epoch, i, this.perEpoch), this.partial, learningRate(this.schedule, epoch, 0, 1)) : history[history.length - 1];
    const { best, bestWeights } = this;
    const keep = best !== null && last !== undefined && best.validLoss < last.validLoss && bestWeights !== null;
    if (keep) this.log(`kept the weights of step ${best.step} (validation loss ${best.validLoss.toFixed(4)}), better than the last (${last.validLoss.toFixed(4)})`);
    await this.save(epoch, i, emptyWindow(), i > 0, true, keep ? bestWeights : undefined);
    run.progress?.stop();
  }

  private lastGood(): string {
    const { history } = this;
    return history.length ? `the last good checkpoint (epoch ${history[history.length - 1].epoch}) is kept in ${this.run.location}` : 'no checkpoint had been saved yet';
  }

  /** Validates, checks the loss, and appends the table row of the training since the last one. */
  private async validate(epoch: number, position: number, partial: Window, lr: number): Promise<EpochRecord> {
    const { run, clock, divergedAbove } = this;
    const { corpus } = run;
    run.onValidate?.({ characters: corpus.valid.length });
    const t0 = this.now();
    const valid = await this.engine.evaluate(corpus.valid, this.options.bs, this.options.bptt);
    clock?.validated((this.now() - t0) / 1000);
    const row: EpochRecord = {
      epoch: position,
      lr,
      trainLoss: partial.lossSum / partial.targets,
      validLoss: valid.loss,
      charsPerSecond: partial.targets / partial.seconds,
      seconds: partial.seconds,
      batches: partial.batches,
      step: this.step,
      ...(clock ? { elapsed: clock.now() } : {}),
    };
    if (!Number.isFinite(row.validLoss) || row.validLoss > divergedAbove) {
      throw new TrainingDivergedError(
        `validation loss became ${Number.isFinite(row.validLoss) ? row.validLoss.toFixed(2) : row.validLoss} after epoch ${epoch + 1}` +
          `${Number.isFinite(row.validLoss) ? `, above ${divergedAbove.toFixed(2)} (${DIVERGED_FACTOR} × ln(vocab ${corpus.vocab.size}))` : ''}; ${this.lastGood()}`,
        'validation',
      );
    }
    this.history.push(row);
    this.log(tableRow(row));
    run.onEpoch?.(row);
    if (clock && (this.best === null || row.validLoss < this.best.validLoss)) {
      // A copy, so that the run can end on the best weights if later validations are worse.
      this.best = { validLoss: row.validLoss, step: this.step };
      this.bestWeights = await this.engine.getWeights();
    }
    return row;
  }

  private async save(epoch: number, batch: number, partial: TrainerRecord['partial'], midEpoch: boolean, complete = epoch >= this.epochs, weights?: Weights): Promise<void> {
    const { engine, clock, options } = this;
    const trainer: TrainerRecord = {
      format: 1,
      epoch,
      batch,
      step: this.step,
      totalEpochs: clock ? null : this.epochs,
      schedule: options.schedule,
      seed: options.seed,
      rng: this.rng.getState(),
      partial,
      history: this.history,
      options,
      corpusSha256: this.corpusHash,
      complete,
      ...(clock ? { elapsed: clock.now(), validationSeconds: clock.validationSeconds, best: this.best } : {}),
    };
    await this.run.save({
      meta: this.meta,
      weights: weights ?? (await engine.getWeights()),
      optimizer: await engine.getOptimizerState(),
      hidden: midEpoch ? await engine.getState() : null,
      trainer,
    });
  }
}

const emptyWindow = (): Window => ({ lossSum: 0, targets: 0, seconds: 0, batches: 0 });

/** The sums behind one table row. */
type Window = TrainerRecord['partial'] & { batches: number };

/** An epoch position as the table shows it in a time-budget run: 3.42 = 42% into the fourth epoch. */
function epochPosition(epoch: number, batch: number, perEpoch: number): number {
  return Math.round((epoch + batch / perEpoch) * 100) / 100;
}

function formatMinutes(seconds: number): string {
  return seconds >= 60 ? `${Number((seconds / 60).toFixed(2))} min` : `${Number(seconds.toFixed(1))} s`;
}
