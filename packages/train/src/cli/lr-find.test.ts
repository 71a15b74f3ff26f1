// train:lr-find as a user runs it (bundled from source, in a child process).
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import { bundleCli, runCli } from '../../../../tools/cli-under-test.mjs';
import { suggestLearningRates, type LrFindPoint } from '../trainer/lr-find.js';

let cli: string;
let dir: string;
let corpus: string;

beforeAll(async () => {
  cli = await bundleCli(fileURLToPath(new URL('./lr-find.ts', import.meta.url)));
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-lr-find-cli-'));
  corpus = path.join(dir, 'corpus.txt');
  await writeFile(corpus, (await readEmbeddedCorpus()).slice(0, 20_000));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train:lr-find', () => {
  test('sweeps, prints the table and both suggestions, writes lr-find.jsonl and lr-find.svg', async () => {
    const out = path.join(dir, 'sweep');
    const r = await runCli(cli, ['--corpus', corpus, '--embed', '8', '--hidden', '16', '--bs', '8', '--backend', 'cpu', '--start-lr', '1e-4', '--end-lr', '1', '--batches', '30', '--out', out]);
    expect(r.code).toBe(0);
    const points = (await readFile(path.join(out, 'lr-find.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LrFindPoint);
    expect(points.length).toBeGreaterThan(5);
    expect(points.length).toBeLessThanOrEqual(30);
    expect(points[0].lr).toBeCloseTo(1e-4, 12);
    const { steepest, minimumOver10 } = suggestLearningRates(points);
    expect(r.stdout).toContain(`steepest descent at lr ${steepest.toExponential(2)}; minimum loss lr / 10 = ${minimumOver10.toExponential(2)}`);
    expect(r.stdout).toContain(`wrote ${path.join(out, 'lr-find.svg')}`);
    expect(await readFile(path.join(out, 'lr-find.svg'), 'utf8')).toMatch(/^<svg[\s\S]*smoothed loss[\s\S]*<\/svg>/);
  }, 120_000);

  test('bad flags exit 1 naming the flag; nothing is written', async () => {
    const out = path.join(dir, 'never');
    for (const [args, message] of [
      [['--batches', '1'], /option '--batches <n>' argument '1' is invalid/],
      [['--start-lr', '-1'], /option '--start-lr <rate>' argument '-1' is invalid/],
      [['--optimizer', 'lion'], /argument 'lion' is invalid\. Allowed choices are adam, sgd/],
    ] as const) {
      const r = await runCli(cli, [...args, '--out', out]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
    await expect(access(out)).rejects.toThrow();
  });
});
