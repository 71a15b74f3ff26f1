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
import { bundleWorker } from '../src/engine/test-helpers/worker-bundle.js';

let cli: string;
let dir: string;
// The corpus is named: a bundle's own location is not the data package's, where the default lives.
const quick = ['--corpus', EMBEDDED_CORPUS_PATH, '--embed', '8', '--hidden', '16', '--bs', '4', '--bptt', '8', '--warmup', '1', '--windows', '1', '--window-batches', '2'];

beforeAll(async () => {
  cli = await bundleCli(fileURLToPath(new URL('./cli.ts', import.meta.url)));
  // The data-parallel engine's worker module, beside the CLI as a build has it.
  await bundleWorker(fileURLToPath(new URL('../src/ort/parallel-worker.ts', import.meta.url)), ['onnxruntime-node', 'onnxruntime-common'], path.join(path.dirname(cli), 'parallel-worker.js'));
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-bench-cli-'));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * A stand-in interpreter written as a Node script: logs its arguments and prints lesson.py's
 * anchor line (the BLAS it is told to report, the threads it sees in its environment and
 * arguments) and epoch line (a speed that depends on the config: the floor run is the lesson GRU).
 */
async function fakePython(name: string, o: { blas: string; floorCpu: number; cpu: number; argsLog: string; blasThreads?: number }): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(
    file,
    `#!${process.execPath}
const { appendFileSync } = require('node:fs');
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(o.argsLog)}, args.join(' ') + '\\n');
const threads = Number(args[args.indexOf('--threads') + 1]);
const lessonGru = args.join(' ').includes('--arch gru --embed 42 --hidden 256 --layers 1 --bs 64 --bptt 8');
const env = Object.fromEntries(['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS'].map((k) => [k, process.env[k] ?? null]));
const anchor = { torch: '1.13.0a0', blas_info: 'generic', blas: ${JSON.stringify(o.blas)}, libraries: [${JSON.stringify(o.blas)}], blas_threads: ${o.blasThreads ?? 'threads'}, torch_threads: threads, env };
console.log('vocab 55 train tokens 1 valid tokens 1 threads ' + threads);
console.log('anchor ' + JSON.stringify(anchor));
console.log('epoch 0 trn_loss 4.0 val_loss nan train_chars_per_s 12345 train_chars_per_cpu_s ' + (lessonGru ? ${o.floorCpu} : ${o.cpu}) + ' (0.1s)');
`,
  );
  await chmod(file, 0o755);
  return file;
}

const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3';
const REFERENCE_BLAS = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';

describe('train:bench', () => {
  test('checks PyTorch against the floor on the lesson GRU, then runs the reference with the same config and reports both, per thread count', async () => {
    const argsLog = path.join(dir, 'args.txt');
    const python = await fakePython('python', { blas: OPENBLAS, floorCpu: 52000, cpu: 23456, argsLog });
    const script = path.join(dir, 'lesson.py');
    await writeFile(script, '');
    const r = await runCli(cli, [...quick, '--arch', 'lstm', '--layers', '2', '--python', python, '--pytorch-script', script, '--pytorch-batches', '7', '--pytorch-threads', '1,2', '--pytorch-floor', '30000']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { config: Record<string, number | string>; charsPerSecond: number; pytorch: unknown; ratio: number; anchor: unknown; loadAverage: { before: number[] }; date: string };
    expect(report.config).toMatchObject({ arch: 'lstm', embeddingDim: 8, hiddenSize: 16, numLayers: 2, batchSize: 4, bptt: 8 });
    expect(report.charsPerSecond).toBeGreaterThan(0);
    expect(report.pytorch).toEqual([
      { threads: 1, charsPerSecond: 12345, charsPerCpuSecond: 23456 },
      { threads: 2, charsPerSecond: 12345, charsPerCpuSecond: 23456 },
    ]);
    expect(report.ratio).toBeCloseTo(report.charsPerSecond / 12345, 10);
    expect(report.anchor).toEqual({
      torch: '1.13.0a0',
      blas: OPENBLAS,
      blasKind: 'OpenBLAS',
      floor: { cpuClass: 'this CPU', charsPerCpuSecond: 30000, source: 'given with --pytorch-floor', explicit: true },
      lessonGru: { charsPerSecond: 12345, charsPerCpuSecond: 52000 },
    });
    expect(report.loadAverage.before).toHaveLength(3);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    const calls = (await readFile(argsLog, 'utf8')).trim().split('\n');
    expect(calls).toHaveLength(3);
    // The floor run: the lesson GRU, 1 thread, on the embedded corpus whatever --corpus says.
    expect(calls[0]).toMatch(new RegExp(`^${script} \\S+/nietzsche\\.txt --arch gru --embed 42 --hidden 256 --layers 1 --bs 64 --bptt 8 --max-batches 200 --threads 1 --no-valid$`));
    expect(calls[1]).toMatch(new RegExp(`^${script} ${EMBEDDED_CORPUS_PATH} --arch lstm --embed 8 --hidden 16 --layers 2 --bs 4 --bptt 8 --max-batches 7 --threads 1 --no-valid$`));
    expect(calls[2]).toMatch(/--threads 2 --no-valid$/);
  }, 120_000);

  test('--workers 3 --threads 1 --scaling measures the data-parallel ONNX Runtime engine against one worker each round', async () => {
    const r = await runCli(cli, [...quick, '--device', 'cpu', '--workers', '3', '--threads', '1', '--scaling', '--rounds', '2', '--no-pytorch']);
    expect(r.code).toBe(0);
    type Round = { ours: { charsPerSecond: number; loss: number }; oneWorker: { charsPerSecond: number; loss: number } };
    const report = JSON.parse(r.stdout) as { engine: string; engineLog: string[]; workers: number; threads: number; charsPerSecond: number; rounds: Round[]; scaling: { workers: number; oneWorker: number; ratio: number; rounds: number[] } };
    expect(report).toMatchObject({ engine: 'onnxruntime-node (cpu, 3 data-parallel workers)', workers: 3, threads: 1 });
    expect(report.engineLog).toEqual(['using onnxruntime-node on the CPU: 3 data-parallel workers (1 intra-op thread each)']);
    expect(report.charsPerSecond).toBeGreaterThan(0);
    // Both trained the same batches from the same weights: the same losses up to float rounding.
    for (const round of report.rounds) expect(round.oneWorker.loss).toBeCloseTo(round.ours.loss, 4);
    const perRound = report.rounds.map((x) => x.ours.charsPerSecond / x.oneWorker.charsPerSecond);
    expect(report.scaling.workers).toBe(3);
    expect(report.scaling.rounds).toEqual(perRound);
    expect(report.scaling.ratio).toBeCloseTo((perRound[0] + perRound[1]) / 2, 12);
    expect(report.scaling.oneWorker).toBeCloseTo((report.rounds[0].oneWorker.charsPerSecond + report.rounds[1].oneWorker.charsPerSecond) / 2, 6);
    expect(r.stderr).toMatch(/round 1\/2: ours, one worker \d+ chars\/s/);
  }, 120_000);

  test('refuses a PyTorch that multiplies with the reference BLAS, naming it, before it measures anything', async () => {
    const argsLog = path.join(dir, 'args-reference.txt');
    const python = await fakePython('python-reference-blas', { blas: REFERENCE_BLAS, floorCpu: 52000, cpu: 23456, argsLog });
    const script = path.join(dir, 'lesson.py');
    await writeFile(script, '');
    const r = await runCli(cli, [...quick, '--python', python, '--pytorch-script', script, '--pytorch-floor', '15000']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `error: the PyTorch reference is not a fair anchor, so no figure is written: PyTorch multiplies with the reference BLAS (${REFERENCE_BLAS}), 5–6× slower than OpenBLAS on the lesson GRU here: on Debian install libopenblas0-pthread`,
    );
    expect((await readFile(argsLog, 'utf8')).trim().split('\n')).toHaveLength(1);
  }, 120_000);

  test('refuses a PyTorch under the floor, and one whose OpenBLAS pool is not sized as the bench asked', async () => {
    const script = path.join(dir, 'lesson.py');
    await writeFile(script, '');
    const slow = await fakePython('python-slow', { blas: OPENBLAS, floorCpu: 9400, cpu: 23456, argsLog: path.join(dir, 'args-slow.txt') });
    const r = await runCli(cli, [...quick, '--python', slow, '--pytorch-script', script, '--pytorch-floor', '15000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PyTorch trained the lesson GRU at 9,400 chars per CPU-second on 1 thread, under the floor of 15,000 for this CPU (given with --pytorch-floor)');
    const unsized = await fakePython('python-unsized', { blas: OPENBLAS, floorCpu: 52000, cpu: 23456, argsLog: path.join(dir, 'args-unsized.txt'), blasThreads: 2 });
    const u = await runCli(cli, [...quick, '--python', unsized, '--pytorch-script', script, '--pytorch-floor', '15000']);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('not a fair anchor, so no figure is written: OpenBLAS runs 2 threads, expected 1');
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
      [['--scaling'], /--scaling compares --workers N with one worker: it needs --workers 2 or more \(got 1\)/],
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
      anchor: null,
    });
    expect(parsePytorchOutput('epoch 0 trn_loss 4 train_chars_per_s 12.5').charsPerCpuSecond).toBeNull();
    expect(() => parsePytorchOutput('Traceback: no torch')).toThrow('the PyTorch reference printed no "train_chars_per_s N" line; its output was: Traceback: no torch');
  });
});
