import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@charrnn/data/node';
import { decodeModelCheckpoint, MODEL_FILE, saveModelCheckpoint, type CheckpointMeta } from '../checkpoint/checkpoint.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { readSafetensors, writeSafetensors } from '../checkpoint/safetensors.js';
import type { NamedTensor, Weights } from '../model/weights.js';
import { OPTIMIZER_NAMES, type OptimizerName, type OptimizerState } from '../optim/optimizer.js';
import type { FitOptions } from './fit-options.js';
import type { EpochRecord } from './history.js';

export const TRAINER_FILE = 'trainer.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
/** The training hidden state, needed only to resume in the middle of an epoch. */
export const HIDDEN_FILE = 'hidden.safetensors';
export const HISTORY_FILE = 'history.jsonl';
export const LOSS_CURVE_FILE = 'loss.svg';

/** trainer.json: where the run is, how it was started, and what it measured. */
export interface TrainerRecord {
  format: 1;
  /** Epoch in progress (0-based); equals totalEpochs when the run is complete. */
  epoch: number;
  /** Batches of `epoch` already trained. */
  batch: number;
  /** Optimizer steps since the start of the run. */
  step: number;
  totalEpochs: number;
  schedule: string;
  seed: number;
  /** Dropout RNG state (xoshiro128** words). */
  rng: number[];
  /** Sums of the unfinished epoch, so its table row is exact after a resume. */
  partial: { lossSum: number; targets: number; seconds: number };
  history: EpochRecord[];
  options: FitOptions;
  complete: boolean;
}

export interface TrainingCheckpoint {
  meta: CheckpointMeta;
  weights: Weights;
  optimizer: OptimizerState;
  /** [layers, batch, hidden] data of the training state when saved mid-epoch. */
  hidden: { h: NamedTensor; c?: NamedTensor } | null;
  trainer: TrainerRecord;
}

/**
 * Writes the checkpoint files, each atomically. trainer.json goes last and every file carries the
 * step, so a save interrupted between files is detected on resume instead of mixing two steps.
 */
export async function saveTrainingCheckpoint(dir: string, ckpt: TrainingCheckpoint): Promise<void> {
  const step = String(ckpt.trainer.step);
  const opt = ckpt.optimizer;
  await writeFileAtomic(
    path.join(dir, OPTIMIZER_FILE),
    writeSafetensors(opt.slots, { 'charrnn.optimizer': opt.name, 'charrnn.optimizer.scalars': JSON.stringify(opt.scalars), 'charrnn.step': step }),
  );
  if (ckpt.hidden) {
    const tensors = new Map<string, NamedTensor>([['h', ckpt.hidden.h]]);
    if (ckpt.hidden.c) tensors.set('c', ckpt.hidden.c);
    await writeFileAtomic(path.join(dir, HIDDEN_FILE), writeSafetensors(tensors, { 'charrnn.step': step }));
  }
  await saveModelCheckpoint(dir, ckpt.meta, ckpt.weights, { 'charrnn.step': step });
  await writeFileAtomic(path.join(dir, TRAINER_FILE), JSON.stringify(ckpt.trainer, null, 2) + '\n');
  // An epoch-end checkpoint has no mid-epoch state: a hidden.safetensors left by an earlier interruption is stale.
  if (!ckpt.hidden) await rm(path.join(dir, HIDDEN_FILE), { force: true });
}

async function readOrFail(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new CheckpointError(`cannot resume: ${file} is unreadable (${(e as Error).message}); expected a directory written by train:fit`);
  }
}

function checkStep(file: string, metadata: Record<string, string>, step: number): void {
  if (metadata['charrnn.step'] !== String(step)) {
    throw new CheckpointError(
      `cannot resume: ${file} is from step ${metadata['charrnn.step'] ?? '(none)'} but ${TRAINER_FILE} says step ${step} (a save was interrupted; the files do not belong together)`,
    );
  }
}

export async function loadTrainingCheckpoint(dir: string): Promise<TrainingCheckpoint> {
  const trainerFile = path.join(dir, TRAINER_FILE);
  let trainer: TrainerRecord;
  try {
    trainer = JSON.parse((await readOrFail(trainerFile)).toString('utf8')) as TrainerRecord;
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`cannot resume: ${trainerFile} is not valid JSON (${(e as Error).message})`);
  }
  if (
    trainer.format !== 1 ||
    !Number.isInteger(trainer.step) ||
    !Number.isInteger(trainer.epoch) ||
    !Number.isInteger(trainer.batch) ||
    !trainer.options ||
    !Array.isArray(trainer.rng)
  ) {
    throw new CheckpointError(`cannot resume: ${trainerFile} is not a format-1 trainer record (needs format, step, epoch, batch, options, rng)`);
  }
  const modelFile = path.join(dir, MODEL_FILE);
  const model = decodeModelCheckpoint(await readOrFail(modelFile), modelFile);
  checkStep(modelFile, model.metadata, trainer.step);

  const optFile = path.join(dir, OPTIMIZER_FILE);
  const opt = readSafetensors(await readOrFail(optFile), optFile);
  checkStep(optFile, opt.metadata, trainer.step);
  const name = opt.metadata['charrnn.optimizer'];
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(name)) {
    throw new CheckpointError(`${optFile}: metadata charrnn.optimizer is ${JSON.stringify(name)}, expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
  const slots = new Map<string, NamedTensor>();
  for (const [k, t] of opt.tensors) slots.set(k, { shape: t.shape, data: t.data });
  const scalarsJson = opt.metadata['charrnn.optimizer.scalars'] ?? '{}';
  let scalars: OptimizerState['scalars'];
  try {
    scalars = JSON.parse(scalarsJson) as OptimizerState['scalars'];
  } catch (e) {
    throw new CheckpointError(`${optFile}: metadata charrnn.optimizer.scalars is not valid JSON (${(e as Error).message}): ${scalarsJson.slice(0, 80)}`);
  }
  if (typeof scalars !== 'object' || scalars === null || Array.isArray(scalars) || !Object.values(scalars).every((v) => typeof v === 'number')) {
    throw new CheckpointError(`${optFile}: metadata charrnn.optimizer.scalars is ${scalarsJson.slice(0, 80)}, expected a JSON object of numbers such as {"step":5}`);
  }
  const optimizer: OptimizerState = { name: name as OptimizerName, slots, scalars };

  let hidden: TrainingCheckpoint['hidden'] = null;
  if (trainer.batch > 0) {
    const hiddenFile = path.join(dir, HIDDEN_FILE);
    const file = readSafetensors(await readOrFail(hiddenFile), hiddenFile);
    checkStep(hiddenFile, file.metadata, trainer.step);
    const h = file.tensors.get('h');
    if (!h) throw new CheckpointError(`${hiddenFile}: tensor h is missing`);
    const c = file.tensors.get('c');
    hidden = { h: { shape: h.shape, data: h.data }, ...(c ? { c: { shape: c.shape, data: c.data } } : {}) };
  }
  return { meta: { config: model.config, vocab: model.vocab, lower: model.lower }, weights: model.weights, optimizer, hidden, trainer };
}
