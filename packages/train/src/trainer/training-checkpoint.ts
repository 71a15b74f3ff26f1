// A training checkpoint (contract 1's directory) as named files of bytes, no I/O (browser-safe):
// Node writes them to a directory (training-checkpoint-directory.ts), a page to its own storage.
import { decodeModelCheckpoint, encodeModelCheckpoint, MODEL_FILE, type CheckpointMeta } from '../checkpoint/checkpoint.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { readSafetensors, writeSafetensors } from '../checkpoint/safetensors.js';
import { nonFiniteProblem, type NamedTensor, type Weights } from '../model/weights.js';
import { OPTIMIZER_NAMES, type OptimizerName, type OptimizerState } from '../optim/optimizer.js';
import type { FitOptions } from './fit-options.js';
import type { EpochRecord } from './history.js';
import { trainerRecordProblems } from './trainer-record.js';

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
  /** null in a time-budget run (`options.minutes`): the clock ends it. */
  totalEpochs: number | null;
  schedule: string;
  seed: number;
  /** Dropout RNG state (xoshiro128** words). */
  rng: number[];
  /** Sums of the unfinished epoch, so its table row is exact after a resume. */
  partial: { lossSum: number; targets: number; seconds: number; batches?: number };
  history: EpochRecord[];
  options: FitOptions;
  /** SHA-256 of the prepared corpus (corpus-hash.ts), so that --resume refuses a changed one; absent in runs saved before it was kept. */
  corpusSha256?: string;
  complete: boolean;
  /** A time-budget run: seconds spent so far (planning, training, validation, saves). */
  elapsed?: number;
  /** A time-budget run: what a validation costs, in seconds (the budget keeps that much for the last one). */
  validationSeconds?: number;
  /** A time-budget run: the best validation so far. */
  best?: { validLoss: number; step: number } | null;
}

export interface TrainingCheckpoint {
  meta: CheckpointMeta;
  weights: Weights;
  optimizer: OptimizerState;
  /** [layers, batch, hidden] data of the training state when saved mid-epoch. */
  hidden: { h: NamedTensor; c?: NamedTensor } | null;
  trainer: TrainerRecord;
}

/** One file of a checkpoint: its name in the directory (model.safetensors, trainer.json, …) and bytes. */
export interface CheckpointFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * The checkpoint's files in the order they must be written: trainer.json last, and every file
 * carries the step, so a save interrupted between files is detected on resume instead of mixing
 * two steps. hidden.safetensors only when saved mid-epoch.
 */
export function encodeTrainingCheckpoint(ckpt: TrainingCheckpoint): CheckpointFile[] {
  const step = String(ckpt.trainer.step);
  const opt = ckpt.optimizer;
  const files: CheckpointFile[] = [
    {
      name: OPTIMIZER_FILE,
      bytes: writeSafetensors(opt.slots, { 'charrnn.optimizer': opt.name, 'charrnn.optimizer.scalars': JSON.stringify(opt.scalars), 'charrnn.step': step }),
    },
  ];
  if (ckpt.hidden) {
    const tensors = new Map<string, NamedTensor>([['h', ckpt.hidden.h]]);
    if (ckpt.hidden.c) tensors.set('c', ckpt.hidden.c);
    files.push({ name: HIDDEN_FILE, bytes: writeSafetensors(tensors, { 'charrnn.step': step }) });
  }
  files.push({ name: MODEL_FILE, bytes: encodeModelCheckpoint(ckpt.meta, ckpt.weights, { 'charrnn.step': step }) });
  files.push({ name: TRAINER_FILE, bytes: new TextEncoder().encode(JSON.stringify(ckpt.trainer, null, 2) + '\n') });
  return files;
}

/** Where a checkpoint's files come from: a directory in Node, a page's storage or a user's files. */
export interface CheckpointReader {
  /** How `name` is called in messages (a path, a URL, "run 3/trainer.json"). */
  describe(name: string): string;
  /** The file's bytes; rejects with a CheckpointError naming the file when it cannot be read. */
  read(name: string): Promise<Uint8Array>;
}

function checkStep(file: string, metadata: Record<string, string>, step: number): void {
  if (metadata['charrnn.step'] !== String(step)) {
    throw new CheckpointError(
      `cannot resume: ${file} is from step ${metadata['charrnn.step'] ?? '(none)'} but ${TRAINER_FILE} says step ${step} (a save was interrupted; the files do not belong together)`,
    );
  }
}

/**
 * A NaN or ±Infinity in what a run resumes from would surface as a diverged loss at the first
 * step, blamed on training: it is the file that is bad (saved by a run already diverging, or damaged).
 */
function refuseNonFinite(file: string, tensors: ReadonlyMap<string, { shape: number[]; data: ArrayLike<number> }>): void {
  const problems = [...tensors].flatMap(([name, t]) => nonFiniteProblem(name, t) ?? []);
  if (problems.length > 0) {
    throw new CheckpointError(`cannot resume: ${file} holds non-finite numbers: ${problems.join('; ')}; resume from a checkpoint saved before the run diverged, or start again`);
  }
}

/** Reads and checks a whole training checkpoint; errors name the file and what is wrong. */
export async function decodeTrainingCheckpoint(reader: CheckpointReader): Promise<TrainingCheckpoint> {
  const trainerFile = reader.describe(TRAINER_FILE);
  let trainer: TrainerRecord;
  const trainerBytes = await reader.read(TRAINER_FILE);
  try {
    trainer = JSON.parse(new TextDecoder().decode(trainerBytes)) as TrainerRecord;
  } catch (e) {
    throw new CheckpointError(`cannot resume: ${trainerFile} is not valid JSON (${(e as Error).message})`);
  }
  const problems = trainerRecordProblems(trainer);
  if (problems.length > 0) throw new CheckpointError(`cannot resume: ${trainerFile}: ${problems.join('; ')}`);
  const modelFile = reader.describe(MODEL_FILE);
  const model = decodeModelCheckpoint(await reader.read(MODEL_FILE), modelFile);
  checkStep(modelFile, model.metadata, trainer.step);
  const optFile = reader.describe(OPTIMIZER_FILE);
  const opt = readSafetensors(await reader.read(OPTIMIZER_FILE), optFile);
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
  refuseNonFinite(optFile, slots);
  refuseNonFinite(modelFile, model.weights);
  let hidden: TrainingCheckpoint['hidden'] = null;
  if (trainer.batch > 0) {
    const hiddenFile = reader.describe(HIDDEN_FILE);
    const file = readSafetensors(await reader.read(HIDDEN_FILE), hiddenFile);
    checkStep(hiddenFile, file.metadata, trainer.step);
    const h = file.tensors.get('h');
    if (!h) throw new CheckpointError(`${hiddenFile}: tensor h is missing`);
    const c = file.tensors.get('c');
    hidden = { h: { shape: h.shape, data: h.data }, ...(c ? { c: { shape: c.shape, data: c.data } } : {}) };
    refuseNonFinite(hiddenFile, file.tensors);
  }
  const weights: Weights = model.weights;
  return { meta: { config: model.config, vocab: model.vocab, lower: model.lower, text: model.text }, weights, optimizer, hidden, trainer };
}
