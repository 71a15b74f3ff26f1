import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { prepareCorpus } from '@charrnn/data';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import { CheckpointError } from '../checkpoint/errors.js';
import { ortEngine, type OrtApi } from '../ort/ort-engine.js';
import { corpusSha256 } from './corpus-hash.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit-options.js';
import { fit } from './fit.js';
import { loadTrainingCheckpoint } from './training-checkpoint-directory.js';

describe('corpusSha256', () => {
  const corpus = prepareCorpus('the cat sat on the mat.\nthe dog sat on the log.\n'.repeat(20), { minFreq: 1, text: 'faithful' });

  test('is the SHA-256 of the vocabulary JSON and the ids as documented (lengths, vocab, train, valid as int32 LE)', async () => {
    const vocab = Buffer.from(JSON.stringify(corpus.vocab.itos));
    const head = Buffer.alloc(8);
    head.writeUInt32LE(vocab.length, 0);
    head.writeUInt32LE(corpus.train.length, 4);
    const ids = (a: Int32Array) => Buffer.from(Int32Array.from(a).buffer);
    const expected = createHash('sha256').update(Buffer.concat([head, vocab, ids(corpus.train), ids(corpus.valid)])).digest('hex');
    expect(await corpusSha256(corpus)).toBe(expected);
  });

  test('changes with one id, and with the boundary between training and validation text', async () => {
    const hash = await corpusSha256(corpus);
    const edited = { ...corpus, train: corpus.train.slice() };
    [edited.train[3], edited.train[4]] = [edited.train[4], edited.train[3]];
    expect(await corpusSha256(edited)).not.toBe(hash);
    const all = Int32Array.from([...corpus.train, ...corpus.valid]);
    const moved = { ...corpus, train: all.subarray(0, corpus.train.length + 1), valid: all.subarray(corpus.train.length + 1) };
    expect(await corpusSha256(moved)).not.toBe(hash);
  });
});

describe('--resume with a changed corpus', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a corpus edited without a new character is refused, naming it and both hashes; the same corpus resumes', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'charrnn-corpus-hash-'));
    const text = (await readEmbeddedCorpus()).slice(0, 20_000);
    const options: FitOptions = { ...DEFAULT_FIT_OPTIONS, corpus: 'corpus.txt', embed: 4, hidden: 8, bs: 4, bptt: 8, schedule: '2@1e-3', maxBatches: 10 };
    const prepare = (t: string) => prepareCorpus(t, { minFreq: 3, text: 'lesson', lower: true });
    const engine = ortEngine({ ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
    const controller = new AbortController();
    const corpus = prepare(text);
    await fit({ corpus, options, outDir: dir, engine, signal: controller.signal, onBatch: ({ step }) => step === 13 && controller.abort() });
    const saved = await loadTrainingCheckpoint(dir);
    expect(saved.trainer.corpusSha256).toBe(await corpusSha256(corpus));

    // Two words swapped: the same characters, so the same vocabulary; a different text.
    const edited = prepare(text.replace('truth', 'TEMP').replace('woman', 'truth').replace('TEMP', 'woman'));
    expect(edited.vocab.itos).toEqual(corpus.vocab.itos);
    const refused = fit({ corpus: edited, options, outDir: dir, engine, resume: saved });
    await expect(refused).rejects.toThrow(CheckpointError);
    await expect(refused).rejects.toThrow(
      `cannot resume: the corpus (corpus.txt) is not the text the run was trained on: prepared with the run's options it has SHA-256 ${(await corpusSha256(edited)).slice(0, 12)}… (${edited.train.length} training and ${edited.valid.length} validation characters), the run's had ${saved.trainer.corpusSha256!.slice(0, 12)}…; restore that text, or start a new run on this one`,
    );
    const resumed = await fit({ corpus, options, outDir: dir, engine, resume: saved });
    expect(resumed.step).toBe(20);
  });
});
