import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorpusTooSmallError, Vocab } from '@charrnn/data';
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
    const stats = await prepareDirectory({ corpus, outDir: join(out, 'o'), text: 'lesson', batchSize: 2, bptt: 2, validFraction: 0.5, minFreq: 2, lower: false, progress: false });
    expect(stats).toMatchObject({ corpus, lines: 4, trainLines: 2, validLines: 2, lower: false, trainTokens: 11, validTokens: 5, minFreq: 2 });
    expect(stats.itos).toEqual(['<unk>', '<pad>', 'A', 'b', 'c']);
    expect(stats.batchesPerEpoch).toBe(Math.floor(Math.floor(11 / 2) / 2) - 1);
    expect(await readFile(join(out, 'o', 'val', 'val.txt'), 'utf8')).toBe('Ab\nzz\n');
  });

  test('a corpus given by path is read as written (faithful): line breaks and case kept, cut by characters', async () => {
    const corpus = join(out, 'poem.txt');
    await writeFile(corpus, 'Roses are red,\r\nViolets are blue.\n'.repeat(40));
    const stats = await prepareDirectory({ corpus, outDir: join(out, 'p'), batchSize: 4, bptt: 8, validFraction: 0.25, minFreq: 1, progress: false });
    const normalised = 'Roses are red,\nViolets are blue.\n'.repeat(40);
    const cut = Math.floor(normalised.length * 0.75);
    expect(stats).toMatchObject({ text: 'faithful', lower: false, trainTokens: cut, validTokens: normalised.length - cut });
    expect(stats.itos).toEqual(expect.arrayContaining(['\n', 'R', 'V']));
    expect(stats.itos).not.toContain('\r');
    expect(await readFile(join(out, 'p', 'trn', 'train.txt'), 'utf8')).toBe(normalised.slice(0, cut));
    expect(await readFile(join(out, 'p', 'val', 'val.txt'), 'utf8')).toBe(normalised.slice(cut));
  });

  test('a corpus with control characters is refused unless allowControlChars is set', async () => {
    const corpus = join(out, 'nul.txt');
    await writeFile(corpus, 'abc\u0000def\n'.repeat(200));
    const dir = join(out, 'o');
    await expect(prepareDirectory({ corpus, outDir: dir, batchSize: 4, bptt: 4, progress: false })).rejects.toThrow(
      /corpus .*nul\.txt has 200 control characters \(U\+0000 ×200\), the first at line 1, column 4/,
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
    const stats = await prepareDirectory({ corpus, outDir: dir, batchSize: 4, bptt: 4, minFreq: 1, progress: false, allowControlChars: true });
    expect(stats.itos).toContain('\u0000');
  });

  test('a corpus too small for the batch size or BPTT is refused before anything is written, naming what would work', async () => {
    const tiny = join(out, 'tiny.txt');
    await writeFile(tiny, 'abc');
    const dir = join(out, 'o');
    await expect(prepareDirectory({ corpus: tiny, outDir: dir, text: 'lesson', progress: false })).rejects.toThrow(CorpusTooSmallError);
    await expect(prepareDirectory({ corpus: tiny, outDir: dir, text: 'lesson', progress: false })).rejects.toThrow(
      /training split has 4 tokens, too few for one batch at batch size 64, BPTT 8 .*batch size 2 at BPTT 1/,
    );
    const lines = join(out, 'lines.txt');
    await writeFile(lines, 'the quick brown fox\n'.repeat(50)); // 40 training lines of 19 characters + the end token = 761 tokens; 191 for validation
    await expect(prepareDirectory({ corpus: lines, outDir: dir, text: 'lesson', batchSize: 64, bptt: 8, progress: false })).rejects.toThrow(
      /training split has 761 tokens.*the largest that work: batch size 47 at BPTT 8, or BPTT 5 at batch size 64/,
    );
    await expect(prepareDirectory({ corpus: lines, outDir: dir, text: 'lesson', batchSize: 8, bptt: 60, progress: false })).rejects.toThrow(/BPTT 47 at batch size 8/);
    await expect(prepareDirectory({ corpus: lines, outDir: dir, text: 'lesson', batchSize: 8, bptt: 8, validFraction: 0, progress: false })).rejects.toThrow(
      /validation split has 1 token/,
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
    const stats = await prepareDirectory({ corpus: lines, outDir: dir, text: 'lesson', batchSize: 47, bptt: 8, progress: false });
    expect(stats.batchesPerEpoch).toBe(1);
  });
});
