// train:bench as a user runs it (bundled from source, in a child process), with a stand-in for
// the PyTorch interpreter so that the test needs no PyTorch: the report's shape, the flags the
// reference script is given, the figures parsed from its epoch line, and bad flags.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_CORPUS_PATH } from '@charrnn/data/node';
import { bundleCli, runCli } from '../../../tools/cli-under-test.mjs';
import { parsePytorchOutput } from './pytorch.js';

let cli: string;
let dir: string;
// The corpus is named: a bundle's own location is not the data package's, where the default lives.
const quick = ['--corpus', EMBEDDED_CORPUS_PATH, '--embed', '8', '--hidden', '16', '--bs', '4', '--bptt', '8', '--warmup', '1', '--windows', '1', '--window-batches', '2'];

beforeAll(async () => {
  cli = await bundleCli(fileURLToPath(new URL('./cli.ts', import.meta.url)));
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-bench-cli-'));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train:bench', () => {
  test('runs the reference script with the same config and reports both, per thread count', async () => {
    // A stand-in interpreter: records its arguments and prints lesson.py's epoch line.
    const python = path.join(dir, 'python');
    const argsLog = path.join(dir, 'args.txt');
    await writeFile(python, `#!/bin/sh\necho "$@" >> ${argsLog}\necho "vocab 55 train tokens 1 valid tokens 1 threads 1"\necho "epoch 0 trn_loss 4.0 val_loss nan train_chars_per_s 12345 train_chars_per_cpu_s 23456 (0.1s)"\n`);
    await chmod(python, 0o755);
    const script = path.join(dir, 'lesson.py');
    await writeFile(script, '');
    const r = await runCli(cli, [...quick, '--arch', 'lstm', '--layers', '2', '--python', python, '--pytorch-script', script, '--pytorch-batches', '7', '--pytorch-threads', '1,2']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { config: Record<string, number | string>; charsPerSecond: number; pytorch: unknown; ratio: number; loadAverage: { before: number[] }; date: string };
    expect(report.config).toMatchObject({ arch: 'lstm', embeddingDim: 8, hiddenSize: 16, numLayers: 2, batchSize: 4, bptt: 8 });
    expect(report.charsPerSecond).toBeGreaterThan(0);
    expect(report.pytorch).toEqual([
      { threads: 1, charsPerSecond: 12345, charsPerCpuSecond: 23456 },
      { threads: 2, charsPerSecond: 12345, charsPerCpuSecond: 23456 },
    ]);
    expect(report.ratio).toBeCloseTo(report.charsPerSecond / 12345, 10);
    expect(report.loadAverage.before).toHaveLength(3);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    const calls = (await readFile(argsLog, 'utf8')).trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(new RegExp(`^${script} ${EMBEDDED_CORPUS_PATH} --arch lstm --embed 8 --hidden 16 --layers 2 --bs 4 --bptt 8 --max-batches 7 --threads 1 --no-valid$`));
    expect(calls[1]).toMatch(/--threads 2 --no-valid$/);
  }, 120_000);

  test('without the interpreter or script the report says PyTorch was skipped and why', async () => {
    const script = path.join(dir, 'no-script.py');
    const r = await runCli(cli, [...quick, '--python', path.join(dir, 'no-python'), '--pytorch-script', script]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { pytorch: unknown }).pytorch).toEqual({ note: `skipped: ${path.join(dir, 'no-python')} or ${script} not found` });
  }, 120_000);

  test('bad flags exit 1 naming the flag', async () => {
    for (const [args, message] of [
      [['--engine', 'torch'], /argument 'torch' is invalid\. Allowed choices are ort, tfjs/],
      [['--windows', '0'], /option '--windows <n>' argument '0' is invalid/],
    ] as const) {
      const r = await runCli(cli, [...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
  });

  test("parsePytorchOutput reads the epoch line's figures and names a missing one", () => {
    expect(parsePytorchOutput('vocab 55\nepoch 0 trn_loss 4 val_loss nan train_chars_per_s 37800 train_chars_per_cpu_s 40100 (2.1s)\n')).toEqual({
      charsPerSecond: 37800,
      charsPerCpuSecond: 40100,
      line: 'epoch 0 trn_loss 4 val_loss nan train_chars_per_s 37800 train_chars_per_cpu_s 40100 (2.1s)',
    });
    expect(parsePytorchOutput('epoch 0 trn_loss 4 train_chars_per_s 12.5').charsPerCpuSecond).toBeNull();
    expect(() => parsePytorchOutput('Traceback: no torch')).toThrow('the PyTorch reference printed no "train_chars_per_s N" line; its output was: Traceback: no torch');
  });
});
