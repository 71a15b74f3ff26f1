import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  NANOGPT_README_FLAGS,
  PYTHON,
  WORKSPACE,
  checkNanogptSplit,
  freshDirectory,
  nanogptArgs,
  nanogptVocab,
  oursCharsTrained,
  oursOwnValidLoss,
  parseArgs,
  parseNanogptLog,
  planNanogpt,
  resolveCorpus,
  splitIndex,
  textProblems,
  threadEnv,
} from './quality.mjs';

describe('one split for every model', () => {
  test("splitIndex cuts where nanoGPT's prepare.py does", () => {
    // prepare.py's own comment for tiny Shakespeare: 1,115,394 characters, train 1,003,854, val 111,540.
    expect(splitIndex(1_115_394)).toBe(1_003_854);
    // prepare.py run on packages/data/corpus/nietzsche.txt (600,893 characters) printed train 540,803, val 60,090.
    expect(splitIndex(600_893)).toBe(540_803);
    expect(splitIndex(10)).toBe(9);
    expect(splitIndex(9)).toBe(8); // int(8.1)
    expect(() => splitIndex(10, 0)).toThrow('valid fraction 0 is invalid; expected a number in (0, 1) such as 0.1');
    expect(() => splitIndex(-1)).toThrow('corpus length -1 is not a non-negative integer');
  });

  test("nanogptVocab numbers characters as prepare.py does (sorted by code point), so val.bin can be decoded and compared", () => {
    // prepare.py's printed vocabulary of tiny Shakespeare (after '\n'), from its comment.
    const shakespeare = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const shuffled = [...shakespeare].reverse().join('') + 'zzAA\n\n';
    expect(nanogptVocab(shuffled).join('')).toBe(shakespeare);
    // and what it printed for the Nietzsche corpus: a code-point order, not a locale's.
    const nietzsche = readFileSync(path.join(WORKSPACE, 'packages/data/corpus/nietzsche.txt'), 'utf8');
    expect(nanogptVocab(nietzsche).join('')).toBe('\n !"\'(),-.0123456789:;=?[]_abcdefghijklmnopqrstuvwxyzäæéë');
  });

  test("checkNanogptSplit decodes val.bin (uint16 little-endian ids into prepare.py's vocabulary) and refuses any other held-out text", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'quality-split-'));
    try {
      const long = 'ba\nabba\nab'; // vocabulary ['\n', 'a', 'b']; 10 characters, cut at int(9.0) = 9: the held-out text is 'b'
      expect(splitIndex(long.length)).toBe(9);
      writeFileSync(path.join(dir, 'val.bin'), Buffer.from([2, 0])); // id 2 = 'b'
      expect(() => checkNanogptSplit(dir, long, 'b')).not.toThrow();
      expect(() => checkNanogptSplit(dir, long, 'a')).toThrow("nanoGPT's val.bin (1 characters) is not the held-out text (1 characters): the splits differ");
      writeFileSync(path.join(dir, 'val.bin'), Buffer.from([2, 0, 0, 0]));
      expect(() => checkNanogptSplit(dir, long, 'b')).toThrow("nanoGPT's val.bin (2 characters) is not the held-out text (1 characters)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('text the tools would count or read differently is refused, naming the problem', () => {
    expect(textProblems('a\nb', 'c.txt')).toEqual([]);
    expect(textProblems('a\r\nb', 'c.txt')).toEqual(['c.txt has carriage returns; nanoGPT reads it in text mode and would drop them, so convert it to "\\n" line ends first']);
    expect(textProblems('a😀b\u{10400}', 'c.txt')).toEqual(['c.txt has characters outside the Basic Multilingual Plane (first: U+1F600), which JavaScript and Python count differently']);
    expect(textProblems(Buffer.from([0x61, 0xff]).toString('utf8'), 'c.txt')).toEqual(['c.txt is not valid UTF-8 (it decodes with U+FFFD replacement characters)']);
  });
});

describe('nanoGPT for a wall-time budget', () => {
  // Lines as nanoGPT's train.py prints them (measured here, 7 Dec 2026).
  const log = [
    'tokens per iteration will be: 768',
    'step 0: train loss 4.1766, val loss 4.1752',
    'iter 0: loss 4.1692, time 2300.00ms, mfu -100.00%',
    'iter 1: loss 3.9000, time 260.00ms, mfu -100.00%',
    'iter 2: loss 3.8000, time 240.00ms, mfu -100.00%',
    'iter 3: loss 3.4561, time 200.00ms, mfu -100.00%',
    'iter 4: loss 3.4624, time 300.00ms, mfu 0.00%',
    'iter 5: loss 3.4442, time 220.00ms, mfu 0.00%',
  ].join('\n');

  test('parseNanogptLog reads each iteration time in seconds by iteration', () => {
    expect(parseNanogptLog(log)).toEqual([2.3, 0.26, 0.24, 0.2, 0.3, 0.22]);
  });

  test('planNanogpt fills the budget with the README run: 8 evaluation intervals, warm-up 1/20, startup and 9 evaluations paid first', () => {
    const times = parseNanogptLog(log); // steady median of iters 3..5: 0.22 s; evaluation 2.3 − 0.22 = 2.08 s
    const seconds = 3.52 + 5; // 5 s outside the logged iterations: startup
    const plan = planNanogpt(180, { iters: 5, seconds, times });
    // (180 − 5 − 9 × 2.08) / 0.22 = 710.3 iterations → 88 per interval × 8 = 704
    expect(plan).toEqual({ maxIters: 704, evalInterval: 88, warmupIters: 35, perIter: 0.22, evalSeconds: expect.closeTo(2.08, 10), startupSeconds: expect.closeTo(5, 10) });
    expect(() => planNanogpt(20, { iters: 5, seconds, times })).toThrow(
      'a budget of 20 s is too short for nanoGPT here: startup 5.0 s, 9 evaluations of 2.1 s and 0.220 s an iteration leave no room for 8 iterations',
    );
    expect(() => planNanogpt(180, { iters: 5, seconds, times: [] })).toThrow("nanoGPT's warm-up logged no iteration times");
  });

  test("nanogptArgs is the README's CPU command of tools/nanogpt/README.md with only the run's length and paths changed", () => {
    const readme = readFileSync(path.join(WORKSPACE, 'tools/nanogpt/README.md'), 'utf8');
    const command = readme.match(/`python train\.py ([^`]+)`/)![1].split(/\s+/);
    const args = nanogptArgs({ dataDir: '/r/data', outDir: '/r/out', maxIters: 704, evalInterval: 88, warmupIters: 35 });
    expect(args.slice(0, 2)).toEqual(['train.py', 'config/train_shakespeare_char.py']);
    expect(command[0]).toBe('config/train_shakespeare_char.py');
    const scaled = new Set(['--max_iters', '--lr_decay_iters']);
    for (const flag of command.slice(1)) if (!scaled.has(flag.split('=')[0])) expect(args).toContain(flag);
    expect(NANOGPT_README_FLAGS.length).toBe(command.length - 3);
    expect(args.slice(2 + NANOGPT_README_FLAGS.length)).toEqual(['--max_iters=704', '--lr_decay_iters=704', '--eval_interval=88', '--warmup_iters=35', '--dataset=/r/data', '--out_dir=/r/out']);
  });
});

describe("ours' own figures from trainer.json", () => {
  const history = [
    { validLoss: 1.9, charsPerSecond: 1000, seconds: 10 },
    { validLoss: 1.7, charsPerSecond: 2000, seconds: 5 },
  ];
  test('characters trained: its own count when it keeps one, else epochs plus the unfinished one', () => {
    expect(oursCharsTrained({ charsTrained: 123, history })).toBe(123);
    expect(oursCharsTrained({ history, partial: { targets: 640 } })).toBe(20_640);
    expect(oursCharsTrained({ history })).toBe(20_000);
  });
  test("own validation loss: a --minutes run's kept best, else the best of its validations", () => {
    expect(oursOwnValidLoss({ history })).toBe(1.7);
    expect(oursOwnValidLoss({ history, best: { validLoss: 1.65, step: 40 } })).toBe(1.65);
    expect(oursOwnValidLoss({ history, best: null })).toBe(1.7);
    expect(oursOwnValidLoss({ history: [] })).toBeNaN();
  });
});

describe('the command line', () => {
  test('defaults, and every bad flag named at once', () => {
    expect(parseArgs(['--corpus', 'sqlite3.h', '--minutes=0.5', '--threads', '1'])).toMatchObject({ corpus: 'sqlite3.h', minutes: 0.5, threads: 1, only: ['ours', 'nanogpt', 'rnn'] });
    expect(() => parseArgs([])).toThrow('--minutes is required (the wall-time budget of each model, e.g. 3)');
    expect(() => parseArgs(['--minutes', '0', '--threads', '0', '--only', 'ours,gpt4', '--fast'])).toThrow(
      'unknown argument --fast; expected --corpus, --minutes, --threads, --out, --only or --pytorch-floor; --minutes 0 is invalid; expected a number of minutes in (0, 1440]; --threads 0 is invalid; expected a positive integer; --only ours,gpt4 is invalid; expected a comma-separated subset of ours,nanogpt,rnn',
    );
    expect(parseArgs(['--minutes', '1', '--pytorch-floor', '9000']).pytorchFloor).toBe(9000);
    expect(() => parseArgs(['--minutes', '1', '--pytorch-floor', '0'])).toThrow("--pytorch-floor 0 is invalid; expected the lesson GRU's chars per CPU-second at 1 thread below which PyTorch is refused, a positive integer");
    for (const bad of ['-3', 'NaN', '1e9', 'three']) expect(() => parseArgs(['--minutes', bad])).toThrow(/--minutes .* is invalid; expected a number of minutes in \(0, 1440\]/);
  });

  test('corpora by name or path; a run directory is never reused', () => {
    expect(resolveCorpus('nietzsche', '/w')).toEqual({ name: 'nietzsche', file: '/w/packages/data/corpus/nietzsche.txt' });
    expect(resolveCorpus('sqlite3.h')).toEqual({ name: 'sqlite3', file: path.join(WORKSPACE, 'tools/quality/corpora/sqlite3.h') });
    expect(existsSync(resolveCorpus('sqlite3.h').file)).toBe(true);
    expect(() => resolveCorpus('no/such/file.txt')).toThrow('--corpus no/such/file.txt is neither a file nor one of nietzsche, sqlite3.h');
    const taken = new Set(['/r/x', '/r/x-2']);
    expect(freshDirectory('/r/x', (p) => taken.has(p))).toBe('/r/x-3');
    expect(freshDirectory('/r/y', (p) => taken.has(p))).toBe('/r/y');
  });

  test('every pool of every measured process gets the same thread count, idle OpenMP threads asleep', () => {
    // A given OPENBLAS_CORETYPE is kept; otherwise the CPU's class is named (SkylakeX on AVX-512, Haswell on AVX2).
    expect(threadEnv(2, { PATH: '/bin', OMP_NUM_THREADS: '8', OPENBLAS_CORETYPE: 'Haswell' })).toEqual({
      PATH: '/bin',
      OMP_NUM_THREADS: '2',
      OPENBLAS_NUM_THREADS: '2',
      MKL_NUM_THREADS: '2',
      OMP_WAIT_POLICY: 'PASSIVE',
      PYTHONUTF8: '1',
      OPENBLAS_CORETYPE: 'Haswell',
    });
    const flags = readFileSync('/proc/cpuinfo', 'utf8');
    const expected = /\bavx512f\b/.test(flags) ? 'SkylakeX' : /\bavx2\b/.test(flags) && /\bfma\b/.test(flags) ? 'Haswell' : undefined;
    expect(threadEnv(1, { PATH: '/bin' }).OPENBLAS_CORETYPE).toBe(expected);
  });
});

// The evaluator and the RNN recipe are PyTorch: their tests are Python (tools/quality/test_evaluate.py,
// tools/pytorch-reference/test_charrnn.py), run here where Debian's python3-torch is.
const torchHere = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
(torchHere ? describe : describe.skip)('the evaluator and the PyTorch RNN (Python tests, need /usr/bin/python3 with torch)', () => {
  test('they pass: stateful RNN scoring, sliding transformer windows, the safetensors reader, samples without special tokens, a nanoGPT run directory scored through the command (stdout only JSON), the RNN\'s schedule, locked dropout, LSTM forget bias and contract-1 checkpoint', () => {
    const r = spawnSync(PYTHON, ['-m', 'unittest', 'tools/quality/test_evaluate.py', 'tools/pytorch-reference/test_charrnn.py'], {
      cwd: WORKSPACE,
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    });
    expect({ status: r.status, tail: r.stderr.split('\n').slice(-4).join('\n') }).toEqual({ status: 0, tail: expect.stringMatching(/Ran 15 tests[\s\S]*OK/) });
  }, 300_000);
});
