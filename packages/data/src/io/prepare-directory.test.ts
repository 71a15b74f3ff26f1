import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vocab } from '@charrnn/data';
import { prepareDirectory, readEmbeddedCorpus } from '@charrnn/data/node';

describe('prepareDirectory', () => {
  let out: string;
  beforeEach(async () => {
    out = await mkdtemp(join(tmpdir(), 'charrnn-prepare-'));
  });
  afterEach(async () => {
    await rm(out, { recursive: true, force: true });
  });

  test('the embedded corpus → vocab.json, stats.json and the lesson folders', async () => {
    const stats = await prepareDirectory({ outDir: out, progress: false });
    const written = JSON.parse(await readFile(join(out, 'stats.json'), 'utf8'));
    expect(written).toEqual(stats);
    expect(written).toMatchObject({ trainTokens: 482972, validTokens: 107989, vocabSize: 55, batchesPerEpoch: 942, batchSize: 64, bptt: 8 });
    const vocab = Vocab.fromJSON(JSON.parse(await readFile(join(out, 'vocab.json'), 'utf8')));
    expect(vocab.itos).toEqual(stats.itos);
    const train = await readFile(join(out, 'trn', 'train.txt'), 'utf8');
    const valid = await readFile(join(out, 'val', 'val.txt'), 'utf8');
    expect(train.split('\n')).toHaveLength(7948 + 1); // 7948 lines, each ending in \n
    expect(train + valid).toBe(await readEmbeddedCorpus());
  });

  test('settings reach the figures', async () => {
    const corpus = join(out, 'tiny.txt');
    await writeFile(corpus, 'AAA bbb\nccc\nAb\nzz\n');
    const stats = await prepareDirectory({ corpus, outDir: join(out, 'o'), batchSize: 2, bptt: 2, validFraction: 0.5, minFreq: 2, lower: false, progress: false });
    expect(stats).toMatchObject({ corpus, lines: 4, trainLines: 2, validLines: 2, lower: false, trainTokens: 11, validTokens: 5, minFreq: 2 });
    expect(stats.itos).toEqual(['<unk>', '<pad>', 'A', 'b', 'c']);
    expect(stats.batchesPerEpoch).toBe(Math.floor(Math.floor(11 / 2) / 2) - 1);
    expect(await readFile(join(out, 'o', 'val', 'val.txt'), 'utf8')).toBe('Ab\nzz\n');
  });
});
