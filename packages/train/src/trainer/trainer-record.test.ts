import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { prepareCorpus } from '@charrnn/data';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import { currentCheckpointDirectory } from '../checkpoint/checkpoint-sets.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { ortEngine, type OrtApi } from '../ort/ort-engine.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit-options.js';
import { fit } from './fit.js';
import type { TrainerRecord } from './training-checkpoint.js';
import { loadTrainingCheckpoint } from './training-checkpoint-directory.js';
import { trainerRecordProblems } from './trainer-record.js';

/** A run interrupted at epoch 2, batch 3 of a 3-epoch schedule with 4 batches an epoch: what the loop writes. */
const valid: TrainerRecord = {
  format: 1,
  epoch: 1,
  batch: 3,
  step: 7,
  totalEpochs: 3,
  schedule: '2@1e-3,1@1e-4',
  seed: 5,
  rng: [1, 2, 3, 4],
  partial: { lossSum: 30.5, targets: 24, seconds: 0.5 },
  history: [{ epoch: 1, lr: 1e-3, trainLoss: 3.2, validLoss: 3.1, charsPerSecond: 900, seconds: 1.2, batches: 4, step: 4 }],
  options: { ...DEFAULT_FIT_OPTIONS, schedule: '2@1e-3,1@1e-4', seed: 5, maxBatches: 4 },
  complete: false,
};

/** `valid` with `change` applied to a deep copy. */
function edited(change: (r: Record<string, any>) => void): unknown {
  const copy = structuredClone(valid) as unknown as Record<string, any>;
  change(copy);
  return copy;
}

describe('trainerRecordProblems', () => {
  test('a record as the loop writes it has none', () => {
    expect(trainerRecordProblems(valid)).toEqual([]);
    expect(trainerRecordProblems({ ...valid, epoch: 3, batch: 0, step: 12, complete: true, history: [1, 2, 3].map((e) => ({ ...valid.history[0], epoch: e, step: 4 * e })) })).toEqual([]);
    // Runs saved before the engine choices existed have no engine or device.
    expect(trainerRecordProblems(edited((r) => (delete r.options.engine, delete r.options.device)))).toEqual([]);
  });

  test.each<[string, (r: Record<string, any>) => void, string[]]>([
    ['a negative batch', (r) => (r.batch = -5), ['batch is -5, expected an integer ≥ 0']],
    ['a fractional step', (r) => (r.step = 7.5), ['step is 7.5, expected an integer ≥ 0']],
    ['a missing epoch', (r) => delete r.epoch, ['epoch is missing, expected an integer ≥ 0']],
    ['another format', (r) => (r.format = 2), ['format is 2, expected 1']],
    ['an rng of zeros', (r) => (r.rng = [0, 0, 0, 0]), ['rng is [0,0,0,0], expected 4 unsigned 32-bit integers, not all zero']],
    ['an rng word past 32 bits', (r) => (r.rng = [1, 2, 3, 2 ** 32]), ['rng is [1,2,3,4294967296], expected 4 unsigned 32-bit integers, not all zero']],
    ['a bad schedule', (r) => (r.schedule = 'fast'), ['schedule is "fast", expected a valid schedule']],
    ['a NaN that became null in partial', (r) => (r.partial.lossSum = null), ['partial.lossSum is null, expected a number ≥ 0']],
    ['a history row of the wrong kind', (r) => (r.history[0].validLoss = 'low'), ['history[0].validLoss is "low", expected a number ≥ 0']],
    ['a history that is not a list', (r) => (r.history = {}), ['history is {}, expected an array of epoch records']],
    ['options of the wrong type and range', (r) => Object.assign(r.options, { hidden: 0, arch: 'transformer', clip: -1, lower: 'yes', dropout: 1 }), [
      'options.arch is "transformer", expected one of rnn, gru, lstm',
      'options.hidden is 0, expected an integer ≥ 1',
      'options.dropout is 1, expected a number in [0, 1)',
      'options.clip is -1, expected null or a number > 0',
      'options.lower is "yes", expected true or false',
    ]],
    ['regularisation out of range', (r) => (r.options.weightDrop = 2), ['options: bad regularisation options: weightDrop is 2, expected a number in [0, 1)']],
    ['an option this version does not know', (r) => (r.options.warp = 9), ['options has "warp", not options of this version']],
    ['a field this version does not know', (r) => (r.extra = 1), ['the record has "extra", not fields of this version']],
  ])('%s is named with its field', (_what, change, expected) => {
    const problems = trainerRecordProblems(edited(change));
    expect(problems).toHaveLength(expected.length);
    expected.forEach((message, i) => expect(problems[i]).toContain(message));
  });

  test.each<[string, (r: Record<string, any>) => void, string]>([
    ['a step that is not the batches trained', (r) => (r.step = 51), 'step is 51, expected 7 (4 batches in the finished epochs + batch 3)'],
    ['a batch beyond --max-batches', (r) => ((r.batch = 4), (r.step = 8)), 'batch is 4, expected fewer than options.maxBatches 4'],
    ['an epoch past the schedule', (r) => ((r.epoch = 4), (r.complete = true)), 'epoch is 4, beyond totalEpochs 3'],
    ['totalEpochs that is not the schedule’s', (r) => (r.totalEpochs = 9), 'totalEpochs is 9 but schedule "2@1e-3,1@1e-4" has 3 epochs'],
    ['a schedule that is not the options’', (r) => (r.options.schedule = '3@1e-3'), 'schedule is "2@1e-3,1@1e-4" but options.schedule is "3@1e-3"'],
    ['a seed that is not the options’', (r) => (r.seed = 6), 'seed is 6 but options.seed is 5'],
    ['complete before the last epoch', (r) => (r.complete = true), 'complete is true at epoch 1 of 3'],
    ['a missing history row', (r) => ((r.history = []), (r.step = 3)), 'history has 0 epochs, expected one per finished epoch (epoch is 1)'],
    ['a history row out of order', (r) => (r.history[0].epoch = 2), 'history[0].epoch is 2, expected 1'],
    ['a history step that is not its batches', (r) => (r.history[0].step = 5), 'history[0].step is 5, expected 4 (the batches of epochs 1 to 1)'],
  ])('%s is refused', (_what, change, message) => {
    expect(trainerRecordProblems(edited(change))).toContain(message);
  });

  test('a value that is not an object is named', () => {
    expect(trainerRecordProblems([1])).toEqual(['the record is [1], expected a JSON object']);
  });
});

describe('resuming from an edited trainer.json', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a batch of -5 is refused by loadTrainingCheckpoint (what --resume reads first), naming the file and the field', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'charrnn-record-'));
    const corpus = prepareCorpus((await readEmbeddedCorpus()).slice(0, 20_000), { minFreq: 3 });
    const options: FitOptions = { ...DEFAULT_FIT_OPTIONS, embed: 4, hidden: 8, bs: 4, bptt: 8, schedule: '2@1e-3', maxBatches: 20 };
    const controller = new AbortController();
    const engine = ortEngine({ ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
    await fit({ corpus, options, outDir: dir, engine, signal: controller.signal, onBatch: ({ step }) => step === 25 && controller.abort() });
    const file = path.join(await currentCheckpointDirectory(dir), 'trainer.json');
    const record = JSON.parse(await readFile(file, 'utf8')) as TrainerRecord;
    expect(record).toMatchObject({ epoch: 1, batch: 5, step: 25 });
    expect(trainerRecordProblems(record)).toEqual([]);
    await writeFile(file, JSON.stringify({ ...record, batch: -5 }));
    const refused = loadTrainingCheckpoint(dir);
    await expect(refused).rejects.toThrow(CheckpointError);
    await expect(refused).rejects.toThrow(`cannot resume: ${file}: batch is -5, expected an integer ≥ 0`);
  });
});
