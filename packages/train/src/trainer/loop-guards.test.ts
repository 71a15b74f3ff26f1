// The training loop's guards: divergence without NaN, checkpoints that never replace a good one
// with a diverged one, corpora too small for a batch, --resume with differing options, and the
// files a finished resumed run leaves.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { CorpusTooSmallError, prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { currentCheckpointDirectory } from '../checkpoint/checkpoint-sets.js';
import { CheckpointError } from '../checkpoint/errors.js';
import type { EngineFactory } from '../engine/engine.js';
import { ortEngine, type OrtApi } from '../ort/ort-engine.js';
import { formatLearningRate } from '../schedule/schedule.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit-options.js';
import { fit, TrainingDivergedError } from './fit.js';
import { DIVERGED_BATCHES } from './loop.js';
import { checkResumeOptions } from './run.js';
import { HIDDEN_FILE } from './training-checkpoint.js';
import { loadTrainingCheckpoint } from './training-checkpoint-directory.js';

const engine = ortEngine({ ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
const tiny: FitOptions = { ...DEFAULT_FIT_OPTIONS, embed: 8, hidden: 24, bs: 8, bptt: 8, maxBatches: 30 };
let corpus: PreparedCorpus;
let dir: string;
const exists = (file: string) => access(file).then(() => true, () => false);

beforeAll(async () => {
  corpus = prepareCorpus((await loadCorpus()).text.slice(0, 30_000), { minFreq: 3 });
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-guards-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('training loop guards', () => {
  test('a loss that stays far above chance without NaN stops the run and keeps the last good checkpoint', async () => {
    const options = { ...tiny, schedule: '1@3e-3,1@1e3' };
    const losses: number[] = [];
    const error: unknown = await fit({ corpus, options, outDir: dir, engine, onBatch: ({ loss }) => losses.push(loss) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    // Advice in words, no command-line flags: the browser trainer shows this message too (the CLI adds its flags).
    expect(error).toMatchObject({ during: 'training', message: expect.stringMatching(/\(epoch 1\) is kept in .*\. Try a lower learning rate or gradient clipping\.$/) });
    expect((error as Error).message).not.toContain('--');
    await expect(fit({ corpus, options, outDir: path.join(dir, 'again'), engine })).rejects.toThrow(
      new RegExp(`^training diverged: the loss stayed above ${(3 * Math.log(corpus.vocab.size)).toFixed(2).replace('.', '\\.')} \\(3 × ln\\(vocab ${corpus.vocab.size}\\), worse than an untrained model\\) for ${DIVERGED_BATCHES} batches, .* at epoch 2, batch \\d+ \\(lr 1000\\); the last good checkpoint \\(epoch 1\\) is kept in`),
    );
    // onBatch reports every step but the one that tripped the guard.
    const tail = losses.slice(-(DIVERGED_BATCHES - 1));
    expect(Math.min(...tail)).toBeGreaterThan(3 * Math.log(corpus.vocab.size));
    expect(tail.every(Number.isFinite)).toBe(true);
    const kept = await loadTrainingCheckpoint(dir);
    expect(kept.trainer).toMatchObject({ epoch: 1, batch: 0, step: 30 });
    expect(kept.trainer.history[0].validLoss).toBeLessThan(Math.log(corpus.vocab.size));
  });

  test('an interruption while the loss is diverging saves nothing over the last good checkpoint', async () => {
    const controller = new AbortController();
    let above = 0;
    const lines: string[] = [];
    const result = await fit({
      corpus,
      options: { ...tiny, schedule: '1@3e-3,1@1e3' },
      outDir: dir,
      engine,
      log: (l) => lines.push(l),
      signal: controller.signal,
      onBatch: ({ epoch, loss }) => {
        if (epoch === 1 && loss > 3 * Math.log(corpus.vocab.size) && ++above === 3) controller.abort();
      },
    });
    // Nothing to continue from where it stopped: the command line offers no --resume.
    expect(result).toMatchObject({ interrupted: true, resumable: false });
    expect(lines[lines.length - 1]).toMatch(new RegExp(`while the loss was above ${(3 * Math.log(corpus.vocab.size)).toFixed(2)}; nothing saved, the last good checkpoint \\(epoch 1\\) is kept in`));
    expect((await loadTrainingCheckpoint(dir)).trainer).toMatchObject({ epoch: 1, batch: 0 });
    expect(await exists(path.join(await currentCheckpointDirectory(dir), HIDDEN_FILE))).toBe(false);
  });

  test('a validation loss that is NaN or far above chance stops the run at the epoch end and keeps the last good checkpoint', async () => {
    const chance = Math.log(corpus.vocab.size);
    // The engine trains normally; only its second validation pass (after epoch 2) reports `bad`.
    const validatingTo = (bad: number): EngineFactory => async (init) => {
      const inner = await engine(init);
      const evaluate = inner.evaluate.bind(inner);
      let evaluations = 0;
      inner.evaluate = async (...args) => {
        const real = await evaluate(...args);
        return ++evaluations === 2 ? { ...real, loss: bad } : real;
      };
      return inner;
    };
    const options = { ...tiny, schedule: '3@3e-3', maxBatches: 5 };
    for (const [bad, message] of [
      [Number.NaN, 'validation loss became NaN after epoch 2; the last good checkpoint (epoch 1) is kept in'],
      [4 * chance, `validation loss became ${(4 * chance).toFixed(2)} after epoch 2, above ${(3 * chance).toFixed(2)} (3 × ln(vocab ${corpus.vocab.size})); the last good checkpoint (epoch 1) is kept in`],
    ] as const) {
      const out = path.join(dir, String(bad));
      const run = fit({ corpus, options, outDir: out, engine: validatingTo(bad) });
      await expect(run).rejects.toThrow(TrainingDivergedError);
      await expect(run).rejects.toThrow(message);
      await expect(run).rejects.toMatchObject({ during: 'validation' });
      const kept = await loadTrainingCheckpoint(out);
      expect(kept.trainer).toMatchObject({ epoch: 1, batch: 0, step: 5 });
      expect(kept.trainer.history.map((r) => r.epoch)).toEqual([1]);
    }
  });

  test('a corpus too small for one batch is refused before training, naming what would fit', async () => {
    const small = prepareCorpus('the quick brown fox jumps over the lazy dog\n'.repeat(4), { minFreq: 1 });
    await expect(fit({ corpus: small, options: { ...tiny, bs: 64 }, outDir: dir, engine })).rejects.toThrow(CorpusTooSmallError);
    await expect(fit({ corpus: small, options: { ...tiny, bs: 64 }, outDir: dir, engine })).rejects.toThrow(/too few for one batch at batch size 64, BPTT 8/);
    expect(await exists(path.join(dir, 'trainer.json'))).toBe(false);
  });

  test('a resumed run that finishes holds no mid-epoch state', async () => {
    const controller = new AbortController();
    await fit({ corpus, options: { ...tiny, schedule: '1@3e-3', maxBatches: 10 }, outDir: dir, engine, signal: controller.signal, onBatch: ({ step }) => step === 4 && controller.abort() });
    expect(await exists(path.join(await currentCheckpointDirectory(dir), HIDDEN_FILE))).toBe(true);
    await fit({ corpus, options: tiny, outDir: dir, engine, resume: await loadTrainingCheckpoint(dir) });
    expect(await exists(path.join(await currentCheckpointDirectory(dir), HIDDEN_FILE))).toBe(false);
    expect((await loadTrainingCheckpoint(dir)).trainer).toMatchObject({ complete: true, step: 10 });
  });
});

describe('checkResumeOptions', () => {
  test('options typed with --resume that differ from the saved run are refused, each named; equal ones and where-it-runs options pass', () => {
    const saved = { ...DEFAULT_FIT_OPTIONS };
    expect(() => checkResumeOptions('ckpt', saved, { arch: 'gru', hidden: 256, engine: 'tfjs', device: 'cpu', backend: 'cpu' })).not.toThrow();
    expect(() => checkResumeOptions('ckpt', saved, { arch: 'lstm', hidden: 64, seed: 0 })).toThrow(
      new CheckpointError(
        '--resume ckpt continues that run with its own options; these differ from it: arch "lstm" (saved: "gru"), hidden 64 (saved: 256). ' +
          'Drop them to resume, or start a new run (without --resume) to train with them. Only engine, device, backend may change on resume.',
      ),
    );
    expect(() => checkResumeOptions('ckpt', saved, { schedule: '1@1e-3' })).toThrow(/schedule "1@1e-3" \(saved: "6@1e-3,3@1e-4"\)/);
  });
});

describe('formatLearningRate', () => {
  test.each([
    [1e-3, '1e-3'],
    [3e-4, '3e-4'],
    [0.25, '0.25'],
    [1, '1'],
    [1000, '1000'],
    [1e20, '1e+20'],
    [0.1 + 0.2, '0.3'],
  ])('%p → %s', (lr, text) => expect(formatLearningRate(lr)).toBe(text));
});
