import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { CharModel } from '../model/char-model.js';
import { useBackend } from '../model/test-helpers/backends.js';
import { randomWeights } from '../model/weights.js';
import { evaluate } from './evaluate.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit-options.js';
import { fit, modelConfigFor, TrainingDivergedError } from './fit.js';
import { tfjsEngine } from '../engine/tfjs-engine.js';
import { lossAndGradients } from './gradients.js';
import { loadTrainingCheckpoint } from './training-checkpoint-directory.js';

let corpus: PreparedCorpus;
let dir: string;

const tiny: FitOptions = { ...DEFAULT_FIT_OPTIONS, embed: 8, hidden: 24, bs: 8, bptt: 8, schedule: '2@3e-3', maxBatches: 40, backend: 'wasm' };

beforeAll(async () => {
  await useBackend('wasm');
  const { text } = await loadCorpus();
  corpus = prepareCorpus(text.slice(0, 30_000), { minFreq: 3 });
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-fit-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('fit', () => {
  test('lowers the validation loss on a small slice, writes the checkpoint, history and curve, and leaks no tensors', async () => {
    const config = modelConfigFor(tiny, corpus.vocab.size);
    const untrained = CharModel.fromWeights(config, randomWeights(config, tiny.seed));
    const before = evaluate(untrained, corpus.valid, tiny.bs, tiny.bptt).loss;
    untrained.dispose();

    const counts: number[] = [];
    const lines: string[] = [];
    const start = tf.memory().numTensors;
    const result = await fit({ corpus, options: tiny, outDir: dir, log: (l) => lines.push(l), onBatch: () => counts.push(tf.memory().numTensors) });
    expect(tf.memory().numTensors).toBe(start);
    // After the first step has created the optimizer's slots, every batch ends with the same tensors.
    expect(new Set(counts.slice(1, 40)).size).toBe(1);
    expect(new Set(counts.slice(41)).size).toBe(1);

    const [e1, e2] = result.history;
    expect(before).toBeGreaterThan(Math.log(corpus.vocab.size) - 0.5);
    expect(e1.validLoss).toBeLessThan(before - 0.5);
    expect(e2.validLoss).toBeLessThan(e1.validLoss);
    expect(e2.trainLoss).toBeLessThan(e1.trainLoss);
    expect(result.step).toBe(80);
    expect(lines[0]).toMatch(/^epoch\s+trn_loss\s+val_loss/);
    expect(lines[2]).toMatch(new RegExp(`^\\s+2\\s+${e2.trainLoss.toFixed(4)}\\s+${e2.validLoss.toFixed(4)}\\s+\\d+`));

    // Two epoch-end saves: the current set and the one before it, the pointer, and what people read at the top.
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-1', 'checkpoint-2', 'current.json', 'history.jsonl', 'loss.svg', 'model.safetensors', 'trainer.json']);
    expect((await readdir(path.join(dir, 'checkpoint-2'))).sort()).toEqual(['model.safetensors', 'optimizer.safetensors', 'trainer.json']);
    expect(JSON.parse(await readFile(path.join(dir, 'current.json'), 'utf8'))).toEqual({ format: 1, dir: 'checkpoint-2', step: 80 });
    for (const name of ['model.safetensors', 'trainer.json']) expect(await readFile(path.join(dir, name))).toEqual(await readFile(path.join(dir, 'checkpoint-2', name)));
    const history = (await readFile(path.join(dir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(history).toEqual(result.history);
    expect(await readFile(path.join(dir, 'loss.svg'), 'utf8')).toMatch(/^<svg[\s\S]*validation loss[\s\S]*<\/svg>\n$/);
    const ckpt = await loadTrainingCheckpoint(dir);
    expect(ckpt.trainer).toMatchObject({ epoch: 2, batch: 0, step: 80, complete: true, totalEpochs: 2 });
    expect(ckpt.optimizer.slots.size).toBe(2 * 7); // exp_avg and exp_avg_sq for 7 parameters

    // The saved weights reproduce the reported validation loss exactly.
    const reloaded = CharModel.fromWeights(ckpt.meta.config, ckpt.weights);
    expect(evaluate(reloaded, corpus.valid, tiny.bs, tiny.bptt).loss).toBe(e2.validLoss);
    reloaded.dispose();
  });

  test('an interrupted run resumed from its checkpoint ends with bit-identical weights (dropout RNG, SGD momentum, mid-epoch state)', async () => {
    const options: FitOptions = { ...tiny, layers: 2, dropout: 0.3, optimizer: 'sgd', schedule: '1@0.5,1@0.1', maxBatches: 12, clip: 0.5 };
    const straightDir = path.join(dir, 'straight');
    const straight = await fit({ corpus, options, outDir: straightDir });

    const splitDir = path.join(dir, 'split');
    const controller = new AbortController();
    const lines: string[] = [];
    const first = await fit({
      corpus,
      options,
      outDir: splitDir,
      log: (line) => lines.push(line),
      signal: controller.signal,
      onBatch: ({ step }) => {
        if (step === 17) controller.abort();
      },
    });
    expect(first).toMatchObject({ interrupted: true, resumable: true });
    // Where it saved, and no command-line advice: a front end adds how its user continues.
    expect(lines[lines.length - 1]).toBe(`interrupted at epoch 2 batch 5; checkpoint saved to ${splitDir}`);
    const saved = await loadTrainingCheckpoint(splitDir);
    expect(saved.trainer).toMatchObject({ epoch: 1, batch: 5, step: 17, complete: false });
    expect(saved.hidden?.h.shape).toEqual([2, 8, 24]);
    const resumed = await fit({ corpus, options: DEFAULT_FIT_OPTIONS, outDir: splitDir, resume: saved });
    expect(resumed).toMatchObject({ interrupted: false, resumable: false });

    const a = await loadTrainingCheckpoint(straightDir);
    const b = await loadTrainingCheckpoint(splitDir);
    for (const [name, t] of a.weights) expect(b.weights.get(name)!.data).toEqual(t.data);
    for (const [name, t] of a.optimizer.slots) expect(b.optimizer.slots.get(name)!.data).toEqual(t.data);
    expect(b.trainer.rng).toEqual(a.trainer.rng);
    const losses = (h: typeof straight.history) => h.map((r) => [r.trainLoss, r.validLoss]);
    expect(losses(resumed.history)).toEqual(losses(straight.history));
  });

  test('a NaN loss stops the run with a clear error and keeps the last good checkpoint', async () => {
    const options: FitOptions = { ...tiny, schedule: '3@3e-3', maxBatches: 5 };
    let calls = 0;
    const poisoned: typeof lossAndGradients = (model, batch, state, opts) => {
      const result = lossAndGradients(model, batch, state, opts);
      return ++calls === 8 ? { ...result, loss: Number.NaN } : result;
    };
    const start = tf.memory().numTensors;
    await expect(fit({ corpus, options, outDir: dir, engine: tfjsEngine({ gradients: poisoned }) })).rejects.toThrow(TrainingDivergedError);
    expect(tf.memory().numTensors).toBe(start);
    calls = 0;
    await expect(fit({ corpus, options, outDir: dir, engine: tfjsEngine({ gradients: poisoned }) })).rejects.toThrow(
      /training loss became NaN at epoch 2, batch 3 .*the last good checkpoint \(epoch 1\) is kept in/,
    );
    const ckpt = await loadTrainingCheckpoint(dir);
    expect(ckpt.trainer).toMatchObject({ epoch: 1, batch: 0, step: 5 });
  });
});
