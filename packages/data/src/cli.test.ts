// data:prepare as a user runs it (bundled from source, in a child process): the files it writes
// and the figures it prints for the embedded corpus, flags, exit codes and messages.
import { readFileSync } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli, runCli } from '../../../tools/cli-under-test.mjs';

let cli: string;
let dir: string;
const exists = (file: string) => access(file).then(() => true, () => false);
const expected = JSON.parse(readFileSync(fileURLToPath(new URL('../test-fixtures/nietzsche.expected.json', import.meta.url)), 'utf8')) as {
  trainTokens: number;
  validTokens: number;
  vocabSize: number;
  itos: string[];
  batchesPerEpoch: number;
};

beforeAll(async () => {
  cli = await bundleCli(fileURLToPath(new URL('./cli.ts', import.meta.url)));
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-prepare-cli-'));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('data:prepare', () => {
  test('the embedded corpus: the lesson figures on stdout, vocab.json, stats.json and the split folders written', async () => {
    const out = path.join(dir, 'nietzsche');
    const r = await runCli(cli, ['--out', out]);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({ out, trainTokens: expected.trainTokens, validTokens: expected.validTokens, vocabSize: expected.vocabSize, batchesPerEpoch: expected.batchesPerEpoch });
    expect(printed.vocab).toBe(expected.itos.join(''));
    expect(JSON.parse(await readFile(path.join(out, 'vocab.json'), 'utf8'))).toEqual({ itos: expected.itos });
    expect(JSON.parse(await readFile(path.join(out, 'stats.json'), 'utf8'))).toMatchObject({ trainTokens: expected.trainTokens, itos: expected.itos });
    const train = await readFile(path.join(out, 'trn', 'train.txt'), 'utf8');
    const valid = await readFile(path.join(out, 'val', 'val.txt'), 'utf8');
    expect([train.split('\n').length - 1, valid.split('\n').length]).toEqual([7948, 1987]); // the last line has no newline
  });

  test('--bs, --bptt and --no-lower change the figures as they should', async () => {
    const corpus = path.join(dir, 'mixed.txt');
    await writeFile(corpus, 'The Cat sat on the Mat.\n'.repeat(200));
    const r = await runCli(cli, ['--corpus', corpus, '--out', path.join(dir, 'mixed'), '--bs', '4', '--bptt', '5', '--no-lower', '--min-freq', '1']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { batchSize: number; bptt: number; lower: boolean; vocab: string; trainTokens: number; batchesPerEpoch: number };
    expect([s.batchSize, s.bptt, s.lower]).toEqual([4, 5, false]);
    expect(s.vocab).toContain('T');
    expect(s.vocab).toContain('C');
    expect(s.batchesPerEpoch).toBe(Math.floor(Math.floor(s.trainTokens / 4) / 5) - 1);
  });

  test('bad input exits 1 naming it, and writes nothing', async () => {
    const out = path.join(dir, 'never');
    const tiny = path.join(dir, 'tiny.txt');
    await writeFile(tiny, 'abc\n');
    const nul = path.join(dir, 'nul.txt');
    await writeFile(nul, 'a line\n'.repeat(50) + 'a\u0000b\n');
    const cases: [string[], RegExp][] = [
      [[], /required option '--out <dir>' not specified/],
      [['--out', out, '--bptt', '0'], /--bptt.*0/],
      [['--out', out, '--valid-fraction', '1.5'], /--valid-fraction.*1\.5/],
      [['--out', out, '--corpus', path.join(dir, 'missing.txt')], new RegExp(`prepare: .*${path.join(dir, 'missing.txt').replace(/[.]/g, '\\.')}`)],
      [['--out', out, '--corpus', tiny], /prepare: .*too (few|small)/],
      // The library says to remove them; the command line adds its flag that keeps them.
      [['--out', out, '--corpus', nul], /prepare: corpus .*nul\.txt has 1 control character \(U\+0000 ×1\), the first at line 51, column 2; .* Remove them\. Or keep them with --allow-control-chars\.$/m],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(cli, args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(await exists(out)).toBe(false);
  });
});
