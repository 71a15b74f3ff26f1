import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { LanguageModelLoader, Rng, type PreparedCorpus } from '@charrnn/data';
import { writeFileAtomic, type ProgressSink } from '@charrnn/data/node';
import { CheckpointError } from '../checkpoint/errors.js';
import type { CheckpointMeta } from '../checkpoint/checkpoint.js';
import { CharModel, disposeState } from '../model/char-model.js';
import type { ModelConfig } from '../model/config.js';
import type { RecurrentState } from '../model/recurrent.js';
import { randomWeights, type NamedTensor } from '../model/weights.js';
import { createOptimizer } from '../optim/create.js';
import { learningRate, parseSchedule, totalEpochs } from '../schedule/schedule.js';
import { evaluate } from './evaluate.js';
import type { FitOptions } from './fit-options.js';
import { fastLossAndGradients } from '../fast/loss-and-gradients.js';
import { clipGradNorm, lossAndGradients } from './gradients.js';
import { historyJsonl, TABLE_HEADER, tableRow, type EpochRecord } from './history.js';
import { lineChartSvg } from './line-chart.js';
import { HISTORY_FILE, LOSS_CURVE_FILE, saveTrainingCheckpoint, type TrainerRecord, type TrainingCheckpoint } from './training-checkpoint.js';

export interface FitRun {
  corpus: PreparedCorpus;
  options: FitOptions;
  /** Checkpoint directory (model.safetensors, trainer.json, optimizer.safetensors, history, curve). */
  outDir: string;
  /** A checkpoint to continue exactly where it stopped (its options win over `options`). */
  resume?: TrainingCheckpoint;
  /** Within-epoch progress (batches, with loss and chars/s). */
  progress?: ProgressSink;
  /** Receives the table header, one row per epoch, and notes. */
  log?: (line: string) => void;
  /** When aborted (SIGINT), the current batch finishes, a checkpoint is saved and fit returns. */
  signal?: AbortSignal;
  /** Called after every optimizer step (tests watch memory and interrupt runs through it). */
  onBatch?: (info: { epoch: number; batch: number; step: number; loss: number }) => void;
  /** How a batch's loss and gradients are computed; default the hand-written fast path (lossAndGradients is the tape reference it is tested against). */
  gradients?: typeof lossAndGradients;
}

export interface FitResult {
  history: EpochRecord[];
  interrupted: boolean;
  step: number;
  outDir: string;
}

/** The loss became NaN or infinite; nothing was saved after the last good epoch. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

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

function stateToTensors(state: RecurrentState): { h: NamedTensor; c?: NamedTensor } {
  const t = (x: tf.Tensor3D): NamedTensor => ({ shape: [...x.shape], data: Float32Array.from(x.dataSync() as Float32Array) });
  return { h: t(state.h), ...(state.c ? { c: t(state.c) } : {}) };
}

function stateFromTensors(saved: { h: NamedTensor; c?: NamedTensor }): RecurrentState {
  const t = (x: NamedTensor) => tf.tensor3d(x.data, x.shape as [number, number, number]);
  return { h: t(saved.h), ...(saved.c ? { c: t(saved.c) } : {}) };
}

/**
 * Trains with stateful truncated BPTT as the lesson does: the hidden state runs across the
 * batches of an epoch, detached after each (lossAndGradients returns it outside the tape), reset
 * to zeros at each epoch start and whenever the batch size changes. After each epoch: exact
 * validation loss, a table row, and a checkpoint.
 */
export async function fit(run: FitRun): Promise<FitResult> {
  const options = run.resume?.trainer.options ?? run.options;
  const log = run.log ?? (() => {});
  const { corpus, outDir } = run;
  const schedule = parseSchedule(options.schedule);
  const epochs = totalEpochs(schedule);
  const config = modelConfigFor(options, corpus.vocab.size);
  const meta: CheckpointMeta = { config, vocab: [...corpus.vocab.itos], lower: corpus.lower };

  if (run.resume) {
    const saved = run.resume.meta;
    if (JSON.stringify(saved.vocab) !== JSON.stringify(meta.vocab) || saved.lower !== meta.lower) {
      throw new CheckpointError(`cannot resume: the checkpoint's vocabulary (${saved.vocab.length} tokens) differs from the corpus prepared with its options (${meta.vocab.length} tokens)`);
    }
    if (JSON.stringify(saved.config) !== JSON.stringify(config)) {
      throw new CheckpointError(`cannot resume: checkpoint config ${JSON.stringify(saved.config)} differs from its trainer options ${JSON.stringify(config)}`);
    }
  }
  const model = CharModel.fromWeights(config, run.resume?.weights ?? randomWeights(config, options.seed));
  const optimizer = createOptimizer(options.optimizer, { momentum: options.momentum });
  const rng = new Rng(options.seed, 1);
  const record = run.resume?.trainer;
  if (run.resume) {
    optimizer.setState(run.resume.optimizer);
    optimizer.checkAgainst(model.parameters);
    rng.setState(run.resume.trainer.rng);
  }
  let step = record?.step ?? 0;
  const history: EpochRecord[] = [...(record?.history ?? [])];
  const loader = new LanguageModelLoader(corpus.train, { batchSize: options.bs, bptt: options.bptt, seed: options.seed });
  const perEpoch = Math.min(loader.length, options.maxBatches ?? Infinity);

  const save = async (epoch: number, batch: number, partial: TrainerRecord['partial'], state: RecurrentState | null) => {
    const trainer: TrainerRecord = {
      format: 1,
      epoch,
      batch,
      step,
      totalEpochs: epochs,
      schedule: options.schedule,
      seed: options.seed,
      rng: rng.getState(),
      partial,
      history,
      options,
      complete: epoch >= epochs,
    };
    await saveTrainingCheckpoint(outDir, {
      meta,
      weights: model.getWeights(),
      optimizer: optimizer.getState(),
      hidden: state ? stateToTensors(state) : null,
      trainer,
    });
    await writeFileAtomic(path.join(outDir, HISTORY_FILE), historyJsonl(history));
    await writeFileAtomic(
      path.join(outDir, LOSS_CURVE_FILE),
      lineChartSvg(
        [
          { name: 'train loss', color: '#1f77b4', points: history.map((r) => [r.epoch, r.trainLoss] as const) },
          { name: 'validation loss', color: '#d62728', points: history.map((r) => [r.epoch, r.validLoss] as const) },
        ],
        { title: `${config.arch} e${config.embeddingDim} h${config.hiddenSize} × ${config.numLayers}, ${options.schedule}`, xLabel: 'epoch', yLabel: 'NLL per char' },
      ),
    );
  };

  log(TABLE_HEADER);
  for (const r of history) log(tableRow(r));
  let startEpoch = record?.epoch ?? 0;
  let startBatch = record?.batch ?? 0;
  try {
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      const resuming = epoch === startEpoch && startBatch > 0 && run.resume?.hidden;
      let state: RecurrentState = resuming ? stateFromTensors(run.resume!.hidden!) : model.zeroState(options.bs);
      const partial = resuming ? { ...record!.partial } : { lossSum: 0, targets: 0, seconds: 0 };
      const epochLr = learningRate(schedule, epoch, 0);
      run.progress?.start(perEpoch, `epoch ${epoch + 1}/${epochs}`);
      let i = 0;
      for (const batch of loader.epoch(epoch)) {
        if (i >= perEpoch) break;
        if (i < startBatch) {
          i++; // replaying the loader to the saved position costs no compute
          continue;
        }
        if (run.signal?.aborted) {
          run.progress?.stop();
          await save(epoch, i, partial, state);
          disposeState(state);
          log(`interrupted at epoch ${epoch + 1} batch ${i}; checkpoint saved to ${outDir} (resume with --resume ${outDir})`);
          return { history, interrupted: true, step, outDir };
        }
        if (state.h.shape[1] !== batch.batchSize) {
          disposeState(state);
          state = model.zeroState(batch.batchSize);
        }
        const lr = learningRate(schedule, epoch, i / perEpoch);
        const t0 = performance.now();
        const result = (run.gradients ?? fastLossAndGradients)(model, batch, state, { training: true, rng });
        if (!Number.isFinite(result.loss)) {
          tf.dispose([...result.grads.values()]);
          disposeState(result.state);
          disposeState(state);
          const last = history.length ? `the last good checkpoint (epoch ${history[history.length - 1].epoch}) is kept in ${outDir}` : 'no checkpoint had been saved yet';
          throw new TrainingDivergedError(
            `training loss became ${result.loss} at epoch ${epoch + 1}, batch ${i + 1} (lr ${lr}); ${last}. Try a lower learning rate (--schedule) or gradient clipping (--clip 0.25).`,
          );
        }
        if (options.clip !== null) clipGradNorm(result.grads, options.clip);
        optimizer.step(model.parameters, result.grads, lr);
        tf.dispose([...result.grads.values()]);
        disposeState(state);
        state = result.state;
        step++;
        i++;
        const targets = batch.seqLen * batch.batchSize;
        partial.lossSum += result.loss * targets;
        partial.targets += targets;
        partial.seconds += (performance.now() - t0) / 1000;
        run.onBatch?.({ epoch, batch: i, step, loss: result.loss });
        // The loop is synchronous tfjs work; yielding lets a SIGINT handler run between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
        run.progress?.update(i, { loss: (partial.lossSum / partial.targets).toFixed(4), 'chars/s': Math.round(partial.targets / partial.seconds) });
      }
      run.progress?.stop();
      disposeState(state);
      const valid = evaluate(model, corpus.valid, options.bs, options.bptt);
      const row: EpochRecord = {
        epoch: epoch + 1,
        lr: epochLr,
        trainLoss: partial.lossSum / partial.targets,
        validLoss: valid.loss,
        charsPerSecond: partial.targets / partial.seconds,
        seconds: partial.seconds,
        batches: i,
        step,
      };
      if (!Number.isFinite(row.validLoss)) {
        throw new TrainingDivergedError(`validation loss became ${row.validLoss} after epoch ${epoch + 1}; the last good checkpoint is kept in ${outDir}`);
      }
      history.push(row);
      log(tableRow(row));
      await save(epoch + 1, 0, { lossSum: 0, targets: 0, seconds: 0 }, null);
      startBatch = 0;
    }
  } finally {
    run.progress?.stop();
    optimizer.dispose();
    model.dispose();
  }
  startEpoch = epochs;
  return { history, interrupted: false, step, outDir };
}
