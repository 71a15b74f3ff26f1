// Saves cut short after each of their file operations (a crash, kill -9, a full disk), through
// the injected file operations, and the directories the flat layout left.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileWriteError } from '@charrnn/contract/node';
import type { ModelConfig } from '../model/config.js';
import { randomWeights, type NamedTensor } from '../model/weights.js';
import { DEFAULT_FIT_OPTIONS } from '../trainer/fit-options.js';
import { encodeTrainingCheckpoint, type TrainingCheckpoint } from '../trainer/training-checkpoint.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '../trainer/training-checkpoint-directory.js';
import { loadModelCheckpoint, saveModelCheckpoint } from './checkpoint-directory.js';
import { CURRENT_FILE, currentCheckpointDirectory, nodeFileOps, type CheckpointFileOps } from './checkpoint-sets.js';
import { CheckpointError } from './errors.js';

const config: ModelConfig = { arch: 'lstm', vocabSize: 4, embeddingDim: 3, hiddenSize: 5, numLayers: 1, dropout: 0 };

/** A checkpoint at `step` whose every number depends on the step, mid-epoch (with hidden state) when `batch` > 0. */
function checkpointAt(step: number, batch = 0): TrainingCheckpoint {
  const slots = new Map<string, NamedTensor>();
  for (const [name, t] of randomWeights(config, 100 + step)) slots.set(`exp_avg.${name}`, t);
  const state = (seed: number) => ({ shape: [1, 2, 5], data: Float32Array.from({ length: 10 }, (_, i) => seed + i / 10) });
  return {
    meta: { config, vocab: ['<unk>', '<pad>', 'a', 'b'], lower: true },
    weights: randomWeights(config, step),
    optimizer: { name: 'adam', slots, scalars: { step, beta1: 0.9, beta2: 0.999, eps: 1e-8 } },
    hidden: batch > 0 ? { h: state(step), c: state(-step) } : null,
    trainer: {
      format: 1,
      epoch: 1,
      batch,
      step,
      totalEpochs: 3,
      schedule: '3@1e-3',
      seed: 0,
      rng: [step, 2, 3, 4],
      partial: { lossSum: step, targets: 10 * batch, seconds: 1 },
      history: [{ epoch: 1, lr: 1e-3, trainLoss: 1.5, validLoss: 1.4, charsPerSecond: 100, seconds: 1, batches: step - batch, step: step - batch }],
      options: { ...DEFAULT_FIT_OPTIONS, schedule: '3@1e-3' },
      complete: false,
    },
  };
}

/** Asserts that `loaded` is `expected` in every part: weights, optimizer, hidden state, trainer record. */
function expectSame(loaded: TrainingCheckpoint, expected: TrainingCheckpoint): void {
  expect(loaded.trainer).toEqual(expected.trainer);
  expect(loaded.optimizer.scalars).toEqual(expected.optimizer.scalars);
  for (const [name, t] of expected.weights) expect(loaded.weights.get(name)!.data).toEqual(t.data);
  for (const [name, t] of expected.optimizer.slots) expect(loaded.optimizer.slots.get(name)!.data).toEqual(t.data);
  expect(loaded.hidden?.h.data ?? null).toEqual(expected.hidden?.h.data ?? null);
  expect(loaded.hidden?.c?.data ?? null).toEqual(expected.hidden?.c?.data ?? null);
}

class Crash extends Error {}

/**
 * The real file operations, until `limit` of them have run: then the process is gone, as after a
 * kill -9. The operation at the limit does not happen (a write there leaves the first half of its
 * bytes, as a torn write would), and no later one does (a dead process cleans nothing up).
 */
function cutAfter(limit: number): { ops: CheckpointFileOps; log: string[] } {
  const log: string[] = [];
  let dead = false;
  const step = async <T>(what: string, run: () => Promise<T>, torn?: () => Promise<unknown>): Promise<T> => {
    if (dead || log.length >= limit) {
      if (!dead) await torn?.().catch(() => undefined);
      dead = true;
      throw new Crash(`killed before ${what}`);
    }
    log.push(what);
    return run();
  };
  const short = (file: string) => path.basename(path.dirname(file)) + '/' + path.basename(file).replace(/\.\d+\.[0-9a-f]{8}\.tmp$/, '.tmp');
  return {
    log,
    ops: {
      mkdir: (dir) => step(`mkdir ${path.basename(dir)}`, () => nodeFileOps.mkdir(dir)),
      writeFile: (file, bytes) => step(`write ${short(file)}`, () => nodeFileOps.writeFile(file, bytes), () => writeFile(file, bytes.subarray(0, bytes.length >> 1))),
      rename: (from, to) => step(`rename ${short(from)} → ${path.basename(to)}`, () => nodeFileOps.rename(from, to)),
      link: (from, to) => step(`link ${short(from)}`, () => nodeFileOps.link(from, to)),
      remove: (target) => step(`remove ${path.basename(target)}`, () => nodeFileOps.remove(target)),
      syncDir: (dir) => step(`sync ${path.basename(dir)}`, () => nodeFileOps.syncDir(dir)),
    },
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-sets-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('a checkpoint directory of sets', () => {
  test('a save cut short after any one of its file operations leaves the previous checkpoint or the new one, whole; the next save cleans up after it', async () => {
    const [first, second, cut, next] = [checkpointAt(7), checkpointAt(8, 3), checkpointAt(9, 5), checkpointAt(10)];
    let operations: number | undefined;
    const outcomes = new Set<number>();
    for (let limit = 0; ; limit++) {
      const run = path.join(dir, `cut-after-${limit}`);
      await saveTrainingCheckpoint(run, first);
      await saveTrainingCheckpoint(run, second);
      const { ops, log } = cutAfter(limit);
      const finished = await saveTrainingCheckpoint(run, cut, ops).then(
        () => true,
        (e: unknown) => {
          // The save's own error wraps the crash when it came inside its try (it cannot clean up: the process is gone).
          if (!(e instanceof Crash) && !((e as Error).cause instanceof Crash)) throw e;
          return false;
        },
      );
      // The switch is the rename of current.json: before it the save is not there, after it it is whole.
      const switched = log.some((op) => op.endsWith(`→ ${CURRENT_FILE}`));
      const loaded = await loadTrainingCheckpoint(run);
      expectSame(loaded, switched ? cut : second);
      outcomes.add(loaded.trainer.step);
      const model = await loadModelCheckpoint(run);
      for (const [name, t] of (switched ? cut : second).weights) expect(model.weights.get(name)!.data).toEqual(t.data);

      await saveTrainingCheckpoint(run, next);
      expectSame(await loadTrainingCheckpoint(run), next);
      const current = await currentCheckpointDirectory(run);
      const names = (await readdir(run)).sort();
      // What stays: the current set, the one before it, the pointer and the top-level files; no temp files, no cut set.
      expect(names.filter((n) => !n.startsWith('checkpoint-'))).toEqual([CURRENT_FILE, 'model.safetensors', 'trainer.json']);
      expect(names.filter((n) => n.startsWith('checkpoint-'))).toHaveLength(2);
      expect(names).toContain(path.basename(current));
      for (const name of ['model.safetensors', 'trainer.json']) expect(await readFile(path.join(run, name))).toEqual(await readFile(path.join(current, name)));
      if (finished) {
        operations = limit;
        break;
      }
    }
    // mkdir, 5 writes (optimizer, hidden, model, trainer, pointer), 2 syncs, the switch, 2 links and renames, 1 stale set removed.
    expect(operations).toBe(14);
    expect([...outcomes].sort()).toEqual([8, 9]);
  });

  test('a first save cut short leaves a directory that says it holds no checkpoint, and the next save works', async () => {
    const run = path.join(dir, 'first');
    const { ops } = cutAfter(3); // mkdir, optimizer, hidden written; the model's write torn
    await expect(saveTrainingCheckpoint(run, checkpointAt(3, 2), ops)).rejects.toThrow(/killed before write checkpoint-1\/model\.safetensors/);
    await expect(loadTrainingCheckpoint(run)).rejects.toThrow(new CheckpointError(`cannot resume: ${run} holds no complete checkpoint: its first save was cut short (checkpoint-1 without current.json)`));
    await expect(loadModelCheckpoint(run)).rejects.toThrow(/holds no complete checkpoint/);
    await saveTrainingCheckpoint(run, checkpointAt(4, 2));
    expectSame(await loadTrainingCheckpoint(run), checkpointAt(4, 2));
    expect((await readdir(run)).sort()).toEqual(['checkpoint-2', CURRENT_FILE, 'model.safetensors', 'trainer.json']);
  });

  test('a full disk fails the save naming the file, and says whether an earlier checkpoint is still there', async () => {
    const full: CheckpointFileOps = {
      ...nodeFileOps,
      async writeFile(file, bytes) {
        if (path.basename(file) === 'model.safetensors') throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return nodeFileOps.writeFile(file, bytes);
      },
    };
    const run = path.join(dir, 'full');
    const failed = saveTrainingCheckpoint(run, checkpointAt(5), full);
    await expect(failed).rejects.toThrow(FileWriteError);
    await expect(failed).rejects.toThrow(
      `could not write ${path.join(run, 'checkpoint-1', 'model.safetensors')} (ENOSPC: no space left on device, write); no checkpoint was saved in ${run} (this was its first save)`,
    );
    expect(await readdir(run)).toEqual([]);
    await saveTrainingCheckpoint(run, checkpointAt(5));
    await expect(saveTrainingCheckpoint(run, checkpointAt(6), full)).rejects.toThrow(
      `could not write ${path.join(run, 'checkpoint-2', 'model.safetensors')} (ENOSPC: no space left on device, write); ${run} still holds its checkpoint of step 5 (checkpoint-1)`,
    );
    expectSame(await loadTrainingCheckpoint(run), checkpointAt(5));
    expect((await readdir(run)).sort()).toEqual(['checkpoint-1', CURRENT_FILE, 'model.safetensors', 'trainer.json']);
  });

  test('a directory in the flat layout (files at the top, no current.json) loads, and its next save moves it to sets', async () => {
    const run = path.join(dir, 'flat');
    await saveModelCheckpoint(run, checkpointAt(1).meta, checkpointAt(1).weights);
    for (const file of encodeTrainingCheckpoint(checkpointAt(6, 4))) await writeFile(path.join(run, file.name), file.bytes);
    await writeFile(path.join(run, '.optimizer.safetensors.123.0123abcd.tmp'), 'left by a save that was cut short');
    await writeFile(path.join(run, 'model.onnx'), 'an export');
    expectSame(await loadTrainingCheckpoint(run), checkpointAt(6, 4));
    expect((await loadModelCheckpoint(run)).weights.get('decoder.bias')!.data).toEqual(checkpointAt(6).weights.get('decoder.bias')!.data);

    await saveTrainingCheckpoint(run, checkpointAt(3));
    expectSame(await loadTrainingCheckpoint(run), checkpointAt(3));
    expect((await readdir(run)).sort()).toEqual(['checkpoint-1', CURRENT_FILE, 'model.onnx', 'model.safetensors', 'trainer.json']);
    expect((await loadModelCheckpoint(run)).weights.get('decoder.bias')!.data).toEqual(checkpointAt(3).weights.get('decoder.bias')!.data);
    // A plain model written into a run's directory would not be the model that run loads: refused.
    await expect(saveModelCheckpoint(run, checkpointAt(1).meta, checkpointAt(1).weights)).rejects.toThrow(
      `${run} holds a training run (${path.join(run, CURRENT_FILE)}); write the model into another directory, or train there with train:fit --resume`,
    );
  });

  test('a current.json that is not a pointer to a set is refused, naming the file and what it should hold', async () => {
    const run = path.join(dir, 'bad-pointer');
    await saveTrainingCheckpoint(run, checkpointAt(1));
    const file = path.join(run, CURRENT_FILE);
    for (const [text, message] of [
      ['{"format":1,"dir":"../elsewhere","step":1}', `${file} is {"format":1,"dir":"../elsewhere","step":1}; expected {"format": 1, "dir": "checkpoint-<n>", "step": <step ≥ 0>}`],
      ['{"format":1,"dir":"checkpoint-1","step":-1}', 'expected {"format": 1'],
      ['{"format":1,', `${file} is not valid JSON`],
    ]) {
      await writeFile(file, text);
      await expect(loadTrainingCheckpoint(run)).rejects.toThrow(message);
      await expect(loadModelCheckpoint(run)).rejects.toThrow(message);
    }
  });

  test('a file given for the directory is named as such, pointing to the directory', async () => {
    const run = path.join(dir, 'run');
    await saveTrainingCheckpoint(run, checkpointAt(1));
    for (const file of [path.join(run, 'trainer.json'), path.join(run, 'model.safetensors')]) {
      await expect(loadTrainingCheckpoint(file)).rejects.toThrow(`cannot resume: ${file} is a file; a checkpoint is the directory train:fit wrote, the one holding model.safetensors: ${run}`);
      await expect(loadModelCheckpoint(file)).rejects.toThrow(`${file} is a file; a checkpoint is the directory train:fit wrote, the one holding model.safetensors: ${run}`);
    }
  });

  test('NaN or ±Infinity in the optimizer state, the hidden state or the weights is reported as a bad file, naming the tensor and the first bad entry', async () => {
    const cases: [string, (c: TrainingCheckpoint) => void, string][] = [
      ['optimizer.safetensors', (c) => (c.optimizer.slots.get('exp_avg.rnn.weight_hh_l0')!.data[7] = NaN), 'exp_avg.rnn.weight_hh_l0 has 1 (NaN ×1), the first at [1,2]'],
      ['hidden.safetensors', (c) => ((c.hidden!.c!.data[3] = Infinity), (c.hidden!.c!.data[4] = NaN)), 'c has 2 (NaN ×1, Infinity ×1), the first at [0,0,3]'],
      ['model.safetensors', (c) => (c.weights.get('decoder.bias')!.data[2] = -Infinity), 'decoder.bias has 1 (-Infinity ×1), the first at [2]'],
    ];
    for (const [name, spoil, problem] of cases) {
      const run = path.join(dir, `bad-${name}`);
      const ckpt = checkpointAt(9, 4);
      spoil(ckpt);
      await saveTrainingCheckpoint(run, ckpt);
      const file = path.join(run, 'checkpoint-1', name);
      await expect(loadTrainingCheckpoint(run)).rejects.toThrow(
        new CheckpointError(`cannot resume: ${file} holds non-finite numbers: ${problem}; resume from a checkpoint saved before the run diverged, or start again`),
      );
    }
  });
});
