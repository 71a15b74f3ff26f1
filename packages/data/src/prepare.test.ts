import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { corpusStats, CorpusError, EOS, LanguageModelLoader, prepareCorpus, splitLines } from '@charrnn/data';
import { EMBEDDED_CORPUS_SHA256, readEmbeddedCorpus } from '@charrnn/data/node';

interface Expected {
  sha256: string;
  lines: number;
  trainLines: number;
  validLines: number;
  lower: boolean;
  minFreq: number;
  specials: string[];
  trainTokens: number;
  validTokens: number;
  vocabSize: number;
  itos: string[];
  batchSize: number;
  bptt: number;
  batchesPerEpoch: number;
}

// Computed independently of this package (docs/lesson-data.md); the repository's own copy.
const fixturePath = fileURLToPath(new URL('../test-fixtures/nietzsche.expected.json', import.meta.url));
const expected = JSON.parse(readFileSync(fixturePath, 'utf8')) as Expected;

describe('the embedded corpus through the lesson pipeline', () => {
  let text: string;
  beforeAll(async () => {
    text = await readEmbeddedCorpus();
  });

  test('the fixture describes the embedded corpus: same sha256, the lesson settings', () => {
    expect(expected.sha256).toBe(EMBEDDED_CORPUS_SHA256);
    expect([expected.lower, expected.minFreq, expected.batchSize, expected.bptt]).toEqual([true, 3, 64, 8]);
    expect(expected.itos).toHaveLength(expected.vocabSize);
  });

  test('reproduces every figure of nietzsche.expected.json', () => {
    const prepared = prepareCorpus(text, { minFreq: expected.minFreq, lower: expected.lower });
    const stats = corpusStats(prepared, { batchSize: expected.batchSize, bptt: expected.bptt });
    expect(stats.lines).toBe(expected.lines);
    expect(prepared.trainLines).toBe(expected.trainLines);
    expect(prepared.validLines).toBe(expected.validLines);
    expect(prepared.train.length).toBe(expected.trainTokens);
    expect(prepared.valid.length).toBe(expected.validTokens);
    expect(prepared.vocab.size).toBe(expected.vocabSize);
    expect(prepared.vocab.itos).toEqual(expected.itos);
    expect(prepared.vocab.itos.slice(0, 2)).toEqual(expected.specials);
    expect(stats.batchesPerEpoch).toBe(expected.batchesPerEpoch);
    expect(new LanguageModelLoader(prepared.train, { batchSize: expected.batchSize, bptt: expected.bptt }).length).toBe(942);
  });

  test('the defaults are the lesson settings', () => {
    const prepared = prepareCorpus(text);
    expect(prepared.lower).toBe(true);
    expect(prepared.vocab.itos).toEqual(expected.itos);
    expect(prepared.train.length).toBe(expected.trainTokens);
  });

  test('ids decode back to the lines, and EOS ends each split as <unk>', () => {
    const prepared = prepareCorpus(text);
    const split = splitLines(text);
    const body = (lines: string[]) => lines.map((l) => l.replace(/\n$/, '')).join('');
    const known = (chars: string) => [...chars].map((c) => (prepared.vocab.itos.includes(c) ? c : '<unk>')).join('');
    const decoded = prepared.vocab.decode(prepared.train.subarray(0, -1));
    const reference = known(body(split.trainLines));
    expect(decoded.length).toBe(reference.length);
    expect(decoded === reference).toBe(true); // not toBe: a 480 kB diff helps nobody
    expect(decoded.split('<unk>').length - 1).toBe(4); // é, é, æ, ë: each seen < 3 times in train
    expect(prepared.train[prepared.train.length - 1]).toBe(0);
    expect(prepared.valid[prepared.valid.length - 1]).toBe(0);
    expect(prepared.vocab.itos).not.toContain(EOS);
    // validation characters the train split lacks (plus EOS) are the only <unk>s.
    const stats = corpusStats(prepared, { batchSize: 64, bptt: 8 });
    const validChars = body(split.validLines);
    const unseen = [...validChars].filter((c) => !prepared.vocab.itos.includes(c)).length;
    expect(stats.validUnknownTokens).toBe(unseen + 1);
  });

  test('--no-lower and minFreq change the vocabulary as they should', () => {
    const cased = prepareCorpus('Aa\nAb\nAc\nxx\n', { lower: false, minFreq: 1, validFraction: 0.25 });
    // minFreq 1 admits the single EOS too; it ties with a, b, c and '<' sorts first.
    expect(cased.vocab.itos).toEqual(['<unk>', '<pad>', 'A', EOS, 'a', 'b', 'c']);
    const lowered = prepareCorpus('Aa\nAb\nAc\nxx\n', { minFreq: 2, validFraction: 0.25 });
    expect(lowered.vocab.itos).toEqual(['<unk>', '<pad>', 'a']);
    expect(lowered.valid).toEqual(Int32Array.from([0, 0, 0]));
  });
});

describe('faithful text: the text as written', () => {
  test('line breaks are characters (CRLF and CR read as LF), case kept, a cut by characters, no EOS', () => {
    // "Ab\ncd\nE\n" is 8 characters: ⌊8 · 0.75⌋ = 6 train ("Ab\ncd\n"), 2 validate ("E\n").
    const p = prepareCorpus('Ab\r\ncd\rE\n', { text: 'faithful', minFreq: 1, validFraction: 0.25 });
    expect(p.text).toBe('faithful');
    expect(p.lower).toBe(false);
    expect(p.vocab.itos).toEqual(['<unk>', '<pad>', '\n', 'A', 'b', 'c', 'd']);
    expect(Array.from(p.train)).toEqual([3, 4, 2, 5, 6, 2]);
    expect(Array.from(p.valid)).toEqual([0, 2]); // 'E' never trained: <unk>
    expect([p.trainLines, p.validLines]).toEqual([2, 1]);
    expect(prepareCorpus('Ab\ncd\nE\n', { text: 'faithful', lower: true, minFreq: 1, validFraction: 0.25 }).vocab.itos).toContain('a');
  });

  test('the embedded corpus: the validation text is nanoGPT\'s, the last 10% of the code points, line breaks in both parts', async () => {
    const text = await readEmbeddedCorpus();
    const p = prepareCorpus(text, { text: 'faithful', validFraction: 0.1, minFreq: 1 });
    const codePoints = Array.from(text); // the file has LF line ends only
    expect(text.includes('\r')).toBe(false);
    const cut = Math.floor(codePoints.length * 0.9);
    expect(p.train.length).toBe(cut);
    expect(p.valid.length).toBe(codePoints.length - cut);
    const decode = (ids: Int32Array) => Array.from(ids, (id) => p.vocab.itos[id]).join('');
    expect(decode(p.valid)).toBe(codePoints.slice(cut).join(''));
    expect(decode(p.train.subarray(0, 200))).toBe(codePoints.slice(0, 200).join(''));
    expect(p.vocab.itos).toContain('\n');
    expect(p.vocab.itos).not.toContain(EOS);
    expect(p.validLines).toBeGreaterThan(900);
  });
});

describe('prepareCorpus on text that did not come through decodeCorpus (a string from a page or a worker)', () => {
  test('control characters are refused as decodeCorpus refuses them, unless allowed', () => {
    const text = 'abc\u0000def\n'.repeat(10);
    expect(() => prepareCorpus(text)).toThrow(CorpusError);
    expect(() => prepareCorpus(text)).toThrow(/^corpus text has 10 control characters \(U\+0000 ×10\), the first at line 1, column 4/);
    expect(prepareCorpus(text, { allowControlChars: true, minFreq: 1 }).vocab.itos).toContain('\u0000');
  });
});
