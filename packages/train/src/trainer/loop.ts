/**
 * The training loop, free of I/O so that Node (fit.ts) and the browser trainer share it: stateful
 * truncated BPTT as the lesson does it. The engine carries the hidden state across the batches of
 * an epoch (detached after each), reset to zeros at each epoch start and whenever the batch size
 * changes. After each epoch: exact validation loss, a table row, and a checkpoint handed to `save`.
 */
import { yieldToEventLoop } from '@charrnn/contract';
import { LanguageModelLoader, Rng, checkBatchFit, type PreparedCorpus } from '@charrnn/data';
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
  step: number;
}

/** The loss became NaN or infinite, or stayed far above chance; nothing was saved after the last good epoch. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/**
 * The divergence guard: a model that predicts nothing scores ln(vocab) per character, so a loss
 * of DIVERGED_FACTOR·ln(vocab) is far worse than an untrained model. A window of such losses can
 * be a spike; DIVERGED_BATCHES of them in a row (or one such validation loss) is a run that has
 * diverged without reaching NaN (seen: lr 1e3 gives losses of 4,000–14,000 for ever).
 */
export const DIVERGED_FACTOR = 3;
export const DIVERGED_BATCHES = 20;

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
  const log = run.log ?? (() => {});
  const { corpus, location } = run;
  const schedule = parseSchedule(options.schedule);
  const epochs = options.minutes !== undefined ? Infinity : totalEpochs(schedule);
  const config = modelConfigFor(options, corpus.vocab.size);
  checkBatchFit({ trainTokens: corpus.train.length, validTokens: corpus.valid.length }, { batchSize: options.bs, bptt: options.bptt });
  const divergedAbove = DIVERGED_FACTOR * Math.log(corpus.vocab.size);
  let aboveInARow = 0;
  const meta: CheckpointMeta = { config, vocab: [...corpus.vocab.itos], lower: corpus.lower, text: corpus.text };

  if (run.resume) {
    const saved = run.resume.meta;
    if (JSON.stringify(saved.vocab) !== JSON.stringify(meta.vocab) || saved.lower !== meta.lower) {
      throw new CheckpointError(`cannot resume: the checkpoint's vocabulary (${saved.vocab.length} tokens) differs from the corpus prepared with its options (${meta.vocab.length} tokens)`);
    }
    if ((saved.text ?? 'lesson') !== meta.text) {
      throw new CheckpointError(`cannot resume: the checkpoint was trained on ${saved.text ?? 'lesson'} text, the corpus is prepared as ${meta.text} text`);
    }
    if (JSON.stringify(saved.config) !== JSON.stringify(config)) {
      throw new CheckpointError(`cannot resume: checkpoint config ${JSON.stringify(saved.config)} differs from its trainer options ${JSON.stringify(config)}`);
    }
  }
  const corpusHash = await corpusSha256(corpus);
  const savedHash = run.resume?.trainer.corpusSha256;
  // Runs saved before the hash was kept have none: their vocabulary was checked above.
  if (savedHash !== undefined && savedHash !== corpusHash) {
    throw new CheckpointError(
      `cannot resume: the corpus (${options.corpus ?? 'the embedded corpus'}) is not the text the run was trained on: prepared with the run's options it has SHA-256 ${corpusHash.slice(0, 12)}… ` +
        `(${corpus.train.length} training and ${corpus.valid.length} validation characters), the run's had ${savedHash.slice(0, 12)}…; restore that text, or start a new run on this one`,
    );
  }
  const engine: TrainingEngine = await run.engine({
    config,
    weights: run.resume?.weights ?? (options.tie ? tiedWeights(randomWeights(config, options.seed)) : randomWeights(config, options.seed)),
    optimizer: options.optimizer,
    momentum: options.momentum,
    clip: options.clip,
    optimizerState: run.resume?.optimizer,
    regularization: regularizationOf(options, config),
  });
  const rng = new Rng(options.seed, 1);
  const record = run.resume?.trainer;
  if (record) rng.setState(record.rng);
  let step = record?.step ?? 0;
  const history: EpochRecord[] = [...(record?.history ?? [])];
  const now = run.now ?? (() => performance.now());
  const clock = options.minutes !== undefined ? new BudgetClock(options.minutes * 60, record?.elapsed ?? run.elapsedBefore ?? 0, history, run.expected, run.now, record?.validationSeconds) : null;
  // A time budget trains windows of one length (one graph to build instead of one per length), each pass from a random row below bptt.
  const loader = new LanguageModelLoader(corpus.train, { batchSize: options.bs, bptt: options.bptt, seed: options.seed, shiftedStart: clock !== null });
  const perEpoch = Math.min(loader.length, options.maxBatches ?? Infinity);
  /** The batches epoch `epoch` trains: the loader's draws can end it before its nominal length. */
  const batchesOf = (epoch: number) => Math.min(loader.epochLength(epoch), perEpoch);
  let best = record?.best ?? null;
  /** The best validation's weights in this process (a time-budget run ends on them when the last validation is worse). */
  let bestWeights: Weights | null = null;

  const save = async (epoch: number, batch: number, partial: TrainerRecord['partial'], midEpoch: boolean, complete = epoch >= epochs, weights?: Weights) => {
    const trainer: TrainerRecord = {
      format: 1,
      epoch,
      batch,
      step,
      totalEpochs: clock ? null : epochs,
      schedule: options.schedule,
      seed: options.seed,
      rng: rng.getState(),
      partial,
      history,
      options,
      corpusSha256: corpusHash,
      complete,
      ...(clock ? { elapsed: clock.now(), validationSeconds: clock.validationSeconds, best } : {}),
    };
    await run.save({
      meta,
      weights: weights ?? (await engine.getWeights()),
      optimizer: await engine.getOptimizerState(),
      hidden: midEpoch ? await engine.getState() : null,
      trainer,
    });
  };

  const lastGood = () => (history.length ? `the last good checkpoint (epoch ${history[history.length - 1].epoch}) is kept in ${location}` : 'no checkpoint had been saved yet');
  /** Validates, checks the loss, and appends the table row of the training since the last one. */
  const validate = async (epoch: number, position: number, partial: Window, lr: number): Promise<EpochRecord> => {
    run.onValidate?.({ characters: corpus.valid.length });
    const t0 = now();
    const valid = await engine.evaluate(corpus.valid, options.bs, options.bptt);
    clock?.validated((now() - t0) / 1000);
    const row: EpochRecord = {
      epoch: position,
      lr,
      trainLoss: partial.lossSum / partial.targets,
      validLoss: valid.loss,
      charsPerSecond: partial.targets / partial.seconds,
      seconds: partial.seconds,
      batches: partial.batches,
      step,
      ...(clock ? { elapsed: clock.now() } : {}),
    };
    if (!Number.isFinite(row.validLoss) || row.validLoss > divergedAbove) {
      throw new TrainingDivergedError(
        `validation loss became ${Number.isFinite(row.validLoss) ? row.validLoss.toFixed(2) : row.validLoss} after epoch ${epoch + 1}` +
          `${Number.isFinite(row.validLoss) ? `, above ${divergedAbove.toFixed(2)} (${DIVERGED_FACTOR} × ln(vocab ${corpus.vocab.size}))` : ''}; ${lastGood()}`,
      );
    }
    history.push(row);
    log(tableRow(row));
    run.onEpoch?.(row);
    if (clock && (best === null || row.validLoss < best.validLoss)) {
      // A copy, so that the run can end on the best weights if later validations are worse.
      best = { validLoss: row.validLoss, step };
      bestWeights = await engine.getWeights();
    }
    return row;
  };

  log(TABLE_HEADER);
  for (const r of history) log(tableRow(r));
  if (!clock) run.onPlan?.(Array.from({ length: epochs }, (_, e) => batchesOf(e)));
  const startEpoch = record?.epoch ?? 0;
  let startBatch = record?.batch ?? 0;
  const emptyWindow = (): Window => ({ lossSum: 0, targets: 0, seconds: 0, batches: 0 });
  // What the next table row sums: the epoch, or in a time-budget run the training since the last validation.
  let partial: Window = record ? { batches: 0, ...record.partial } : emptyWindow();
  try {
    if (clock) run.progress?.start(Math.round(clock.budget), `${formatMinutes(clock.budget)} budget`);
    let timeUp = false;
    for (let epoch = startEpoch; epoch < epochs && !timeUp; epoch++) {
      const resuming = epoch === startEpoch && startBatch > 0 && run.resume?.hidden;
      if (resuming) engine.setState(run.resume!.hidden!);
      else engine.resetState(options.bs);
      if (!clock && !resuming) partial = emptyWindow();
      let savedAt = partial.seconds;
      const epochLr = clock ? 0 : learningRate(schedule, epoch, 0);
      if (!clock) run.progress?.start(batchesOf(epoch), `epoch ${epoch + 1}/${epochs}`);
      let i = 0;
      for (const batch of loader.epoch(epoch)) {
        if (i >= perEpoch) break;
        if (i < startBatch) {
          i++; // replaying the loader to the saved position costs no compute
          continue;
        }
        await run.pause?.();
        if (run.signal?.aborted) {
          run.progress?.stop();
          if (aboveInARow > 0) {
            // The weights in memory are mid-way into a divergence: keep the last good checkpoint instead.
            log(`interrupted at epoch ${epoch + 1} batch ${i} while the loss was above ${divergedAbove.toFixed(2)}; nothing saved, ${lastGood()}`);
            return { engine: engine.name, history, interrupted: true, step };
          }
          await save(epoch, i, partial, true);
          log(`interrupted at epoch ${epoch + 1} batch ${i}; checkpoint saved to ${location} (resume with --resume ${location})`);
          return { engine: engine.name, history, interrupted: true, step };
        }
        if (engine.stateBatch !== batch.batchSize) engine.resetState(batch.batchSize);
        const lr = clock ? learningRate(schedule, epoch, 0, clock.progress(corpus.valid.length)) : learningRate(schedule, epoch, i / perEpoch);
        const t0 = now();
        const { loss } = await engine.trainStep(batch, lr, rng);
        if (!Number.isFinite(loss)) {
          throw new TrainingDivergedError(
            `training loss became ${loss} at epoch ${epoch + 1}, batch ${i + 1} (lr ${formatLearningRate(lr)}); ${lastGood()}. Try a lower learning rate (--schedule) or gradient clipping (--clip 0.25).`,
          );
        }
        aboveInARow = loss > divergedAbove ? aboveInARow + 1 : 0;
        if (aboveInARow >= DIVERGED_BATCHES) {
          throw new TrainingDivergedError(
            `training diverged: the loss stayed above ${divergedAbove.toFixed(2)} (${DIVERGED_FACTOR} × ln(vocab ${corpus.vocab.size}), worse than an untrained model) for ${DIVERGED_BATCHES} batches, ` +
              `${loss.toPrecision(4)} at epoch ${epoch + 1}, batch ${i + 1} (lr ${formatLearningRate(lr)}); ${lastGood()}. Try a lower learning rate (--schedule) or gradient clipping (--clip 0.25).`,
          );
        }
        step++;
        i++;
        const targets = batch.seqLen * batch.batchSize;
        partial.lossSum += loss * targets;
        partial.targets += targets;
        const seconds = (now() - t0) / 1000;
        partial.seconds += seconds;
        partial.batches++;
        clock?.stepped(targets, seconds);
        run.onBatch?.({ epoch, batch: i, step, loss });
        if (clock) {
          timeUp = clock.timeUp(corpus.valid.length);
          if (timeUp) break;
          if (clock.validationDue(corpus.valid.length)) {
            await validate(epoch, epochPosition(epoch, i, perEpoch), partial, lr);
            partial = emptyWindow();
            // The resume point: the engine's own weights and state.
            if (aboveInARow === 0) await save(epoch, i, partial, true, false);
          }
        } else if (run.saveEverySeconds !== undefined && aboveInARow === 0 && partial.seconds - savedAt >= run.saveEverySeconds && i < perEpoch) {
          await save(epoch, i, partial, true);
          savedAt = partial.seconds;
        }
        await yieldToEventLoop();
        const figures = { loss: (partial.lossSum / Math.max(1, partial.targets)).toFixed(4), 'chars/s': Math.round(partial.targets / Math.max(1e-9, partial.seconds)) };
        run.progress?.update(clock ? Math.min(Math.round(clock.budget), Math.round(clock.now())) : i, figures);
      }
      if (clock) {
        if (timeUp) {
          run.progress?.stop();
          const last = partial.targets > 0 ? await validate(epoch, epochPosition(epoch, i, perEpoch), partial, learningRate(schedule, epoch, 0, 1)) : history[history.length - 1];
          const keep = best !== null && last !== undefined && best.validLoss < last.validLoss && bestWeights !== null;
          if (keep) log(`kept the weights of step ${best!.step} (validation loss ${best!.validLoss.toFixed(4)}), better than the last (${last!.validLoss.toFixed(4)})`);
          await save(epoch, i, emptyWindow(), i > 0, true, keep ? bestWeights! : undefined);
          run.progress?.stop();
        }
        // The next epoch starts from zero state and a new window of the loader; the table row continues.
        startBatch = 0;
        continue;
      }
      run.progress?.stop();
      await validate(epoch, epoch + 1, { ...partial, batches: i }, epochLr);
      partial = emptyWindow();
      await save(epoch + 1, 0, { lossSum: 0, targets: 0, seconds: 0 }, false);
      startBatch = 0;
    }
  } finally {
    run.progress?.stop();
    await engine.dispose();
  }
  return { engine: engine.name, history, interrupted: false, step };
}

/** The sums behind one table row. */
type Window = TrainerRecord['partial'] & { batches: number };

/** An epoch position as the table shows it in a time-budget run: 3.42 = 42% into the fourth epoch. */
function epochPosition(epoch: number, batch: number, perEpoch: number): number {
  return Math.round((epoch + batch / perEpoch) * 100) / 100;
}

function formatMinutes(seconds: number): string {
  return seconds >= 60 ? `${Number((seconds / 60).toFixed(2))} min` : `${Number(seconds.toFixed(1))} s`;
}
