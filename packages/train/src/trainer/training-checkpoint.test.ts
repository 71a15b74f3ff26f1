import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { currentCheckpointDirectory } from '../checkpoint/checkpoint-sets.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { writeSafetensors } from '../checkpoint/safetensors.js';
import type { ModelConfig } from '../model/config.js';
import { randomWeights, type NamedTensor } from '../model/weights.js';
import { DEFAULT_FIT_OPTIONS } from './fit-options.js';
import {
  HIDDEN_FILE,
  OPTIMIZER_FILE,
  TRAINER_FILE,
  decodeTrainingCheckpoint,
  encodeTrainingCheckpoint,
  type CheckpointReader,
  type TrainingCheckpoint,
} from './training-checkpoint.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from './training-checkpoint-directory.js';

const config: ModelConfig = { arch: 'gru', vocabSize: 4, embeddingDim: 3, hiddenSize: 5, numLayers: 1, dropout: 0 };

function checkpoint(): TrainingCheckpoint {
  const weights = randomWeights(config, 3);
  const slots = new Map<string, NamedTensor>();
  for (const [name, t] of randomWeights(config, 4)) slots.set(`exp_avg.${name}`, t);
  return {
    meta: { config, vocab: ['<unk>', '<pad>', 'a', 'b'], lower: true },
    weights,
    optimizer: { name: 'adam', slots, scalars: { step: 7, beta1: 0.9, beta2: 0.999, eps: 1e-8 } },
    hidden: null,
    trainer: {
      format: 1,
      epoch: 1,
      batch: 0,
      step: 7,
      totalEpochs: 2,
      schedule: '2@1e-3',
      seed: 0,
      rng: [1, 2, 3, 4],
      partial: { lossSum: 0, targets: 0, seconds: 0 },
      history: [{ epoch: 1, lr: 1e-3, trainLoss: 1.5, validLoss: 1.4, charsPerSecond: 100, seconds: 1, batches: 7, step: 7 }],
      options: { ...DEFAULT_FIT_OPTIONS, schedule: '2@1e-3' },
      complete: false,
    },
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-ckpt-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('round-trips weights, optimizer slots and scalars, and the trainer record', async () => {
  const saved = checkpoint();
  await saveTrainingCheckpoint(dir, saved);
  const loaded = await loadTrainingCheckpoint(dir);
  expect(loaded.trainer).toEqual(saved.trainer);
  expect(loaded.optimizer.scalars).toEqual(saved.optimizer.scalars);
  for (const [name, t] of saved.weights) expect(loaded.weights.get(name)!.data).toEqual(t.data);
  for (const [name, t] of saved.optimizer.slots) expect(loaded.optimizer.slots.get(name)!.data).toEqual(t.data);
});

test('optimizer scalars that are not a JSON object of numbers are named with the file', async () => {
  const saved = checkpoint();
  await saveTrainingCheckpoint(dir, saved);
  const file = path.join(await currentCheckpointDirectory(dir), OPTIMIZER_FILE);
  const metadata = { 'charrnn.optimizer': 'adam', 'charrnn.step': '7' };
  await writeFile(file, writeSafetensors(saved.optimizer.slots, { ...metadata, 'charrnn.optimizer.scalars': '{"step":' }));
  await expect(loadTrainingCheckpoint(dir)).rejects.toThrow(CheckpointError);
  await expect(loadTrainingCheckpoint(dir)).rejects.toThrow(`${file}: metadata charrnn.optimizer.scalars is not valid JSON`);
  await writeFile(file, writeSafetensors(saved.optimizer.slots, { ...metadata, 'charrnn.optimizer.scalars': '{"step":"7"}' }));
  await expect(loadTrainingCheckpoint(dir)).rejects.toThrow(/charrnn.optimizer.scalars is \{"step":"7"\}, expected a JSON object of numbers/);
});

test('a trainer record without its epoch or batch position is refused', async () => {
  await saveTrainingCheckpoint(dir, checkpoint());
  const file = path.join(await currentCheckpointDirectory(dir), TRAINER_FILE);
  const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  delete record.batch;
  await writeFile(file, JSON.stringify(record));
  await expect(loadTrainingCheckpoint(dir)).rejects.toThrow(`cannot resume: ${file}: batch is missing, expected an integer ≥ 0`);
});

describe('as bytes (what a page stores and downloads)', () => {
  function reader(files: Map<string, Uint8Array>): CheckpointReader {
    return {
      describe: (name) => `memory/${name}`,
      read: async (name) => {
        const bytes = files.get(name);
        if (!bytes) throw new CheckpointError(`memory/${name} is missing`);
        return bytes;
      },
    };
  }

  test('files come in write order, trainer.json last, and decode to the checkpoint; the directory holds the same bytes', async () => {
    const saved = { ...checkpoint(), hidden: { h: { shape: [1, 2, 5], data: Float32Array.from({ length: 10 }, (_, i) => i / 10) } } };
    saved.trainer = { ...saved.trainer, batch: 3, step: 10 };
    const files = encodeTrainingCheckpoint(saved);
    expect(files.map((f) => f.name)).toEqual([OPTIMIZER_FILE, HIDDEN_FILE, 'model.safetensors', TRAINER_FILE]);
    const loaded = await decodeTrainingCheckpoint(reader(new Map(files.map((f) => [f.name, f.bytes]))));
    expect(loaded.trainer).toEqual(saved.trainer);
    expect(loaded.hidden!.h.data).toEqual(saved.hidden.h.data);
    for (const [name, t] of saved.weights) expect(loaded.weights.get(name)!.data).toEqual(t.data);
    await saveTrainingCheckpoint(dir, saved);
    for (const f of files) expect(new Uint8Array(await readFile(path.join(dir, 'checkpoint-1', f.name)))).toEqual(f.bytes);
  });

  test('files of two different steps are refused, naming the file as the reader describes it', async () => {
    const a = encodeTrainingCheckpoint(checkpoint());
    const later = checkpoint();
    later.trainer = { ...later.trainer, step: 8, batch: 1 };
    const b = encodeTrainingCheckpoint(later);
    const mixed = new Map([...a.map((f) => [f.name, f.bytes] as const)]);
    mixed.set(TRAINER_FILE, b.find((f) => f.name === TRAINER_FILE)!.bytes);
    await expect(decodeTrainingCheckpoint(reader(mixed))).rejects.toThrow(
      'cannot resume: memory/model.safetensors is from step 7 but trainer.json says step 8',
    );
  });
});
