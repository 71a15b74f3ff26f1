import path from 'node:path';
import type { PreparedCorpus } from '@charrnn/data';
import { writeFileAtomic } from '@charrnn/contract/node';
import { type ProgressSink } from '@charrnn/data/node';
import type { EngineFactory } from '../engine/engine.js';
import { tfjsEngine } from '../engine/tfjs-engine.js';
import type { FitOptions } from './fit-options.js';
import { historyJsonl } from './history.js';
import { lineChartSvg } from './line-chart.js';
import { trainingLoop, type TrainingResult } from './loop.js';
import type { ExpectedSpeed } from './budget-clock.js';
import { HISTORY_FILE, LOSS_CURVE_FILE, type TrainingCheckpoint } from './training-checkpoint.js';
import { saveTrainingCheckpoint } from './training-checkpoint-directory.js';

export { TrainingDivergedError, modelConfigFor } from './loop.js';

export interface FitRun {
  corpus: PreparedCorpus;
  options: FitOptions;
  /** Checkpoint directory (model.safetensors, trainer.json, optimizer.safetensors, history, curve). */
  outDir: string;
  /** A checkpoint to continue exactly where it stopped (its options win over `options`). */
  resume?: TrainingCheckpoint;
  /**
   * The engine to train on: `ortNodeEngine(…).factory`, `tfjsEngine(options)` from
   * @charrnn/train/tfjs, or your own; default the tfjs engine on the active backend (selectBackend).
   */
  engine?: EngineFactory;
  /** Within-epoch progress (batches, with loss and chars/s). */
  progress?: ProgressSink;
  /** Receives the table header, one row per epoch, and notes. */
  log?: (line: string) => void;
  /** When aborted (SIGINT), the current batch finishes, a checkpoint is saved and fit returns. */
  signal?: AbortSignal;
  /** Called after every optimizer step (tests watch memory and interrupt runs through it). */
  onBatch?: (info: { epoch: number; batch: number; step: number; loss: number }) => void;
  /** A time-budget run: seconds of the budget spent before training (planning). */
  elapsedBefore?: number;
  /** The clock a time-budget run reads, in milliseconds (tests inject one). */
  now?: () => number;
  /** A time-budget run: the speeds its plan measured, until its own steps and validations say better. */
  expected?: ExpectedSpeed;
}

export interface FitResult extends TrainingResult {
  outDir: string;
}

/** Writes a checkpoint and, beside it, the history (JSON lines) and the loss curve (SVG). */
async function saveToDirectory(outDir: string, ckpt: TrainingCheckpoint): Promise<void> {
  const { history, options } = ckpt.trainer;
  const { config } = ckpt.meta;
  await saveTrainingCheckpoint(outDir, ckpt);
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
}

/**
 * Trains in Node and keeps the run in `outDir`: the training loop (loop.ts) on the given engine,
 * each checkpoint written atomically with the history and loss curve beside it.
 */
export async function fit(run: FitRun): Promise<FitResult> {
  const result = await trainingLoop({
    corpus: run.corpus,
    options: run.options,
    resume: run.resume,
    engine: run.engine ?? tfjsEngine(),
    save: (ckpt) => saveToDirectory(run.outDir, ckpt),
    location: run.outDir,
    progress: run.progress,
    log: run.log,
    signal: run.signal,
    onBatch: run.onBatch,
    elapsedBefore: run.elapsedBefore,
    now: run.now,
    expected: run.expected,
  });
  return { ...result, outDir: run.outDir };
}
