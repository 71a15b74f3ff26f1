#!/usr/bin/env node
// train:quality — the best text a corpus allows in N minutes: ours beside nanoGPT and a strong
// PyTorch RNN, trained one after another on this machine for the same wall time, scored by one
// evaluator on the same held-out text.
//
//   node tools/quality.mjs --corpus <nietzsche|sqlite3.h|path> --minutes N [--threads T] [--out DIR]
//                          [--only ours,nanogpt,rnn] [--pytorch-floor CHARS_PER_CPU_S]
//   npx nx run train:quality -- --corpus nietzsche --minutes 3
//
// The split is nanoGPT's (data[:int(n*0.9)] / data[int(n*0.9):] over the characters, text as
// written): each model trains on what precedes the last 10% and is scored on the last 10%.
//   (a) ours: train:fit --minutes N --corpus <corpus> --valid-fraction 0.1 (the same cut);
//   (b) nanoGPT's train.py and model.py (tools/nanogpt, as-is) with its README's CPU recipe for
//       shakespeare_char, iterations planned from a short warm-up so that it ends at N minutes;
//   (c) tools/pytorch-reference/charrnn.py: a 2-layer GRU with locked dropout, clipping and a cosine
//       schedule that ends at N minutes.
// Then tools/quality/evaluate.py (PyTorch) scores each model in nats per character over the whole
// held-out text and draws a sample from each. Every Python process gets T threads in every pool
// (torch, OpenMP, OpenBLAS; OMP_WAIT_POLICY=PASSIVE), ours T intra-op threads.
//
// Everything goes into DIR (default checkpoints/quality/<corpus>-<N>m, never an existing one); the
// report is printed last on stdout as a JSON block, which `node tools/figures.mjs run
// quality-<corpus>-<N>m` keeps in figures/ with the machine, load and date.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKSPACE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PYTHON = '/usr/bin/python3';
/** The held-out share: nanoGPT's data[int(n*0.9):]. */
export const VALID_FRACTION = 0.1;

/** Corpora known by name (any other --corpus is a path). */
export const CORPORA = {
  nietzsche: 'packages/data/corpus/nietzsche.txt',
  'sqlite3.h': 'tools/quality/corpora/sqlite3.h',
};

/** nanoGPT README's CPU command for shakespeare_char ("I only have a macbook"), after its config file. */
export const NANOGPT_README_FLAGS = ['--device=cpu', '--compile=False', '--eval_iters=20', '--log_interval=1', '--block_size=64', '--batch_size=12', '--n_layer=4', '--n_head=4', '--n_embd=128', '--dropout=0.0'];
/** That README run: 2000 iterations, with config/train_shakespeare_char.py's eval_interval 250 and warmup_iters 100. */
export const NANOGPT_README_RUN = { iters: 2000, evalInterval: 250, warmupIters: 100 };

export class QualityError extends Error {
  name = 'QualityError';
}

/** Index of the first held-out character: Python's int(n * (1 − f)), i.e. nanoGPT's int(n*0.9) for f = 0.1. */
export function splitIndex(n, validFraction = VALID_FRACTION) {
  if (!Number.isInteger(n) || n < 0) throw new QualityError(`corpus length ${n} is not a non-negative integer`);
  if (!(validFraction > 0 && validFraction < 1)) throw new QualityError(`valid fraction ${validFraction} is invalid; expected a number in (0, 1) such as 0.1`);
  return Math.floor(n * (1 - validFraction));
}

/**
 * The text's problems for a split that every tool must make at the same character: indices count
 * UTF-16 code units here and code points in Python, and Python's text mode turns "\r\n" into "\n".
 */
export function textProblems(text, name) {
  const problems = [];
  if (text.includes('\r')) problems.push(`${name} has carriage returns; nanoGPT reads it in text mode and would drop them, so convert it to "\\n" line ends first`);
  const astral = text.match(/[\u{10000}-\u{10FFFF}]/u);
  if (astral) problems.push(`${name} has characters outside the Basic Multilingual Plane (first: U+${astral[0].codePointAt(0).toString(16).toUpperCase()}), which JavaScript and Python count differently`);
  if (text.includes('\uFFFD')) problems.push(`${name} is not valid UTF-8 (it decodes with U+FFFD replacement characters)`);
  return problems;
}

/** The characters of `text` as nanoGPT's prepare.py numbers them: sorted(list(set(data))), by code point. */
export function nanogptVocab(text) {
  return [...new Set(text)].sort((a, b) => a.codePointAt(0) - b.codePointAt(0));
}

/**
 * The `iter N: loss L, time Tms, mfu M%` lines of nanoGPT's train.py → per-iteration times in
 * seconds, indexed by iteration (iteration 0's time includes the evaluation before it).
 */
export function parseNanogptLog(stdout) {
  const times = [];
  for (const line of stdout.split('\n')) {
    const m = line.match(/^iter (\d+): loss [-\d.naif]+, time ([\d.]+)ms/);
    if (m) times[Number(m[1])] = Number(m[2]) / 1000;
  }
  return times;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * nanoGPT's iterations for a wall budget, from a warm-up run of `warmup.iters` iterations that took
 * `warmup.seconds` of wall time and logged `warmup.times` (parseNanogptLog). The README run's
 * shape is kept: 8 evaluations (at 0, 1/8, …, the end: the last iteration is evaluated and may be
 * kept as the best checkpoint) and a warm-up of 1/20 of the run. The budget covers the whole
 * process: startup (warm-up seconds not spent in iterations), 8 + 1 evaluations (iteration 0's
 * time minus a normal iteration), and the iterations.
 */
export function planNanogpt(budgetSeconds, warmup) {
  const steady = warmup.times.slice(Math.min(3, warmup.times.length - 1)).filter((t) => Number.isFinite(t));
  const perIter = median(steady);
  if (!(perIter > 0)) throw new QualityError(`nanoGPT's warm-up logged no iteration times (${warmup.times.length} lines); see its output`);
  const evalSeconds = Math.max(0, (warmup.times[0] ?? perIter) - perIter);
  const logged = warmup.times.reduce((s, t) => s + (Number.isFinite(t) ? t : 0), 0);
  const startupSeconds = Math.max(0, warmup.seconds - logged);
  const { iters, evalInterval, warmupIters } = NANOGPT_README_RUN;
  const evals = iters / evalInterval; // 8
  const available = budgetSeconds - startupSeconds - (evals + 1) * evalSeconds;
  const interval = Math.floor(available / perIter / evals);
  if (interval < 1) {
    throw new QualityError(
      `a budget of ${budgetSeconds.toFixed(0)} s is too short for nanoGPT here: startup ${startupSeconds.toFixed(1)} s, ${evals + 1} evaluations of ${evalSeconds.toFixed(1)} s and ${perIter.toFixed(3)} s an iteration leave no room for ${evals} iterations`,
    );
  }
  const maxIters = interval * evals;
  return { maxIters, evalInterval: interval, warmupIters: Math.max(1, Math.round((maxIters * warmupIters) / iters)), perIter, evalSeconds, startupSeconds };
}

/** nanoGPT's train.py arguments for the planned run (README's CPU flags after the shakespeare_char config). */
export function nanogptArgs({ dataDir, outDir, maxIters, evalInterval, warmupIters }) {
  return [
    'train.py',
    'config/train_shakespeare_char.py',
    ...NANOGPT_README_FLAGS,
    `--max_iters=${maxIters}`,
    `--lr_decay_iters=${maxIters}`,
    `--eval_interval=${evalInterval}`,
    `--warmup_iters=${warmupIters}`,
    `--dataset=${dataDir}`,
    `--out_dir=${outDir}`,
  ];
}

/** Characters ours trained on, from its trainer.json: its own count if it keeps one, else Σ chars/s × seconds of its epochs. */
export function oursCharsTrained(trainer) {
  if (Number.isFinite(trainer.charsTrained)) return trainer.charsTrained;
  const records = [...(trainer.history ?? [])];
  if (trainer.partial && Number.isFinite(trainer.partial.targets)) return records.reduce((s, r) => s + r.charsPerSecond * r.seconds, 0) + trainer.partial.targets;
  return records.reduce((s, r) => s + r.charsPerSecond * r.seconds, 0);
}

/** Our own validation loss as train:fit reports it: that of the weights it kept (a --minutes run's `best`), else the best of its validations (NaN when it made none). */
export function oursOwnValidLoss(trainer) {
  if (Number.isFinite(trainer.best?.validLoss)) return trainer.best.validLoss;
  const losses = (trainer.history ?? []).map((r) => r.validLoss).filter((x) => Number.isFinite(x));
  return losses.length ? Math.min(...losses) : NaN;
}

/** A fresh directory: `base`, else base-2, base-3, … (a run is never overwritten). */
export function freshDirectory(base, exists = existsSync) {
  if (!exists(base)) return base;
  for (let i = 2; ; i++) if (!exists(`${base}-${i}`)) return `${base}-${i}`;
}

/** `--corpus` → { name, file }: a known name, or a path whose base name names it. */
export function resolveCorpus(corpus, root = WORKSPACE) {
  if (Object.hasOwn(CORPORA, corpus)) return { name: corpus.replace(/\.[^.]*$/, ''), file: path.join(root, CORPORA[corpus]) };
  const file = path.resolve(corpus);
  if (!existsSync(file)) throw new QualityError(`--corpus ${corpus} is neither a file nor one of ${Object.keys(CORPORA).join(', ')}`);
  return { name: path.basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '-'), file };
}

export function parseArgs(argv) {
  const opts = { corpus: 'nietzsche', minutes: undefined, threads: os.cpus().length, out: undefined, only: ['ours', 'nanogpt', 'rnn'] };
  const problems = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--corpus') opts.corpus = value();
    else if (flag === '--minutes') opts.minutes = Number(value());
    else if (flag === '--threads') opts.threads = Number(value());
    else if (flag === '--out') opts.out = value();
    else if (flag === '--only') opts.only = String(value()).split(',');
    else if (flag === '--pytorch-floor') opts.pytorchFloor = Number(value());
    else problems.push(`unknown argument ${argv[i]}; expected --corpus, --minutes, --threads, --out, --only or --pytorch-floor`);
  }
  if (opts.minutes === undefined) problems.push('--minutes is required (the wall-time budget of each model, e.g. 3)');
  else if (!(Number.isFinite(opts.minutes) && opts.minutes > 0 && opts.minutes <= 24 * 60)) problems.push(`--minutes ${opts.minutes} is invalid; expected a number of minutes in (0, 1440]`);
  if (!(Number.isInteger(opts.threads) && opts.threads >= 1)) problems.push(`--threads ${opts.threads} is invalid; expected a positive integer`);
  const bad = opts.only.filter((m) => !['ours', 'nanogpt', 'rnn'].includes(m));
  if (bad.length || opts.only.length === 0) problems.push(`--only ${opts.only.join(',')} is invalid; expected a comma-separated subset of ours,nanogpt,rnn`);
  if (opts.pytorchFloor !== undefined && !(Number.isInteger(opts.pytorchFloor) && opts.pytorchFloor >= 1)) {
    problems.push(`--pytorch-floor ${opts.pytorchFloor} is invalid; expected the lesson GRU's chars per CPU-second at 1 thread below which PyTorch is refused, a positive integer`);
  }
  if (problems.length) throw new QualityError(problems.join('; '));
  return opts;
}

/** The environment of every measured process: T threads in every pool, idle OpenMP threads asleep. */
export function threadEnv(threads, base = process.env) {
  const n = String(threads);
  const core = base.OPENBLAS_CORETYPE ?? openblasCore();
  return { ...base, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n, OMP_WAIT_POLICY: 'PASSIVE', PYTHONUTF8: '1', ...(core ? { OPENBLAS_CORETYPE: core } : {}) };
}

/**
 * OpenBLAS 0.3.21 falls back to its SSE kernels (Prescott) on CPUs it does not know, 4–5× slower
 * here: name the CPU's class as train:bench does (SkylakeX for AVX-512, Haswell for AVX2).
 */
function openblasCore() {
  let line;
  try {
    line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^flags\s*:/.test(l));
  } catch {
    return undefined;
  }
  const flags = line ? line.slice(line.indexOf(':') + 1).trim().split(/\s+/) : [];
  if (flags.includes('avx512f')) return 'SkylakeX';
  if (flags.includes('avx2') && flags.includes('fma')) return 'Haswell';
  return undefined;
}

// ---- running ---------------------------------------------------------------------------------

const log = (line) => process.stderr.write(`quality: ${line}\n`);

/** Runs a command to its end (or to SIGINT at `stopAfterSeconds`), its output teed to `logFile`; resolves { code, seconds, stdout }. */
function run(command, args, { cwd = WORKSPACE, env, logFile, stopAfterSeconds } = {}) {
  return new Promise((resolve, reject) => {
    log(`${path.relative(WORKSPACE, cwd) || '.'}$ ${command} ${args.join(' ')}`);
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let all = '';
    child.stdout.on('data', (d) => ((stdout += d), (all += d)));
    child.stderr.on('data', (d) => (all += d));
    const timer = stopAfterSeconds ? setTimeout(() => child.kill('SIGINT'), stopAfterSeconds * 1000) : undefined;
    child.on('error', (e) => reject(new QualityError(`could not start ${command}: ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (logFile) writeFileSync(logFile, all);
      resolve({ code: code ?? signal, seconds: Number(process.hrtime.bigint() - started) / 1e9, stdout, output: all });
    });
  });
}

async function mustRun(what, command, args, options) {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new QualityError(`${what} failed (exit ${r.code}); its output is in ${path.relative(WORKSPACE, options.logFile)}:\n${r.output.slice(-1500)}`);
  return r;
}

const loadavg = () => Number(os.loadavg()[0].toFixed(2));

const BENCH_DIST = path.join(WORKSPACE, 'packages/train/dist-bench');
const NANOGPT_DIR = path.join(WORKSPACE, 'tools/nanogpt');
const LESSON_PY = path.join(WORKSPACE, 'tools/pytorch-reference/lesson.py');

/** train:bench's check of the PyTorch anchor (packages/train/bench/anchor.ts), compiled by tsc -p packages/train/tsconfig.bench.json. */
async function anchorTools() {
  const runBench = path.join(BENCH_DIST, 'run-bench.js');
  if (!existsSync(runBench)) throw new QualityError(`${path.relative(WORKSPACE, runBench)} is missing; compile it with npx tsc -p packages/train/tsconfig.bench.json (npx nx run train:quality does)`);
  const { checkAnchor } = await import(runBench);
  const { anchorProblems, parseAnchor } = await import(path.join(BENCH_DIST, 'anchor.js'));
  return { checkAnchor, anchorProblems, parseAnchor };
}

/**
 * Refuses a crippled PyTorch before anything is trained on it: train:bench's floor run (the lesson
 * GRU at 1 thread: its BLAS and its speed against this CPU class's floor), then what torch
 * multiplies with and how its pools are sized in the environment nanoGPT and the RNN get.
 */
async function checkPytorch(tools, env, threads, floorOverride) {
  const given = floorOverride === undefined ? {} : { floor: floorOverride };
  const floor = await tools.checkAnchor({ python: PYTHON, script: LESSON_PY, floorCorpus: path.join(WORKSPACE, CORPORA.nietzsche), ...given }, log);
  const probe = spawnSync(PYTHON, ['-c', `import json, sys; sys.path.insert(0, ${JSON.stringify(path.dirname(LESSON_PY))}); from lesson import blas_anchor; print('anchor ' + json.dumps(blas_anchor()))`], { env, encoding: 'utf8' });
  const problems = tools.anchorProblems(tools.parseAnchor(probe.stdout ?? ''), threads);
  if (problems.length) throw new QualityError(`PyTorch at ${threads} thread(s) is not a fair anchor, so nothing is trained: ${problems.join('; ')}`);
  return floor;
}

/** The flags this checkout's train:fit offers (its --help), so the harness can drive it before --minutes lands. */
function fitFlags(fitJs) {
  const help = spawnSync(process.execPath, [fitJs, '--help'], { encoding: 'utf8' }).stdout ?? '';
  return new Set(help.match(/--[a-z][a-z-]*/g) ?? []);
}

async function trainOurs({ dir, corpusFile, minutes, threads, env }) {
  const fitJs = path.join(WORKSPACE, 'packages/train/dist/cli/fit.js');
  if (!existsSync(fitJs)) throw new QualityError(`${path.relative(WORKSPACE, fitJs)} is missing; build it with npx nx run train:build (npx nx run train:quality does)`);
  const out = path.join(dir, 'ours');
  const logFile = path.join(dir, 'ours.log');
  const flags = fitFlags(fitJs);
  if (flags.has('--minutes')) {
    const args = [fitJs, '--corpus', corpusFile, '--minutes', String(minutes), '--valid-fraction', String(VALID_FRACTION), '--workers', String(threads), '--out', out];
    const r = await mustRun('train:fit', process.execPath, args, { env, logFile });
    return { out, seconds: r.seconds, recipe: `train:fit --minutes ${minutes} --valid-fraction ${VALID_FRACTION} --workers ${threads}`, output: r.output };
  }
  // Until --minutes exists: the lesson's GRU, stopped by SIGINT (which saves a checkpoint) at the
  // budget; with the held-out split where --valid-fraction exists (faithful text for --corpus),
  // else the lesson's split by lines with case kept (newlines dropped: it never saw one).
  const split = flags.has('--valid-fraction') ? ['--valid-fraction', String(VALID_FRACTION)] : ['--no-lower'];
  const args = [fitJs, '--corpus', corpusFile, ...split, '--arch', 'gru', '--epochs', '1000', '--workers', String(threads), '--out', out];
  const r = await run(process.execPath, args, { env, logFile, stopAfterSeconds: minutes * 60 });
  if (r.code !== 130 && r.code !== 0) throw new QualityError(`train:fit failed (exit ${r.code}); see ${logFile}:\n${r.output.slice(-1500)}`);
  return { out, seconds: r.seconds, recipe: `interim, train:fit has no --minutes yet: ${split.join(' ')} --arch gru (the lesson GRU e42 h256, bptt 8, Adam 1e-3), stopped by SIGINT at the budget`, output: r.output };
}

/** nanoGPT's own data preparation and a warm-up run that plans its iterations for the budget (before anything trains, so a budget too short fails first). */
async function planNanogptRun({ dir, corpusFile, minutes, env }) {
  const base = path.join(dir, 'nanogpt');
  const dataDir = path.join(base, 'data');
  mkdirSync(dataDir, { recursive: true });
  // prepare.py reads input.txt beside itself (no download when present) and writes train.bin, val.bin, meta.pkl there.
  copyFileSync(corpusFile, path.join(dataDir, 'input.txt'));
  copyFileSync(path.join(NANOGPT_DIR, 'data/shakespeare_char/prepare.py'), path.join(dataDir, 'prepare.py'));
  await mustRun('nanoGPT prepare.py', PYTHON, ['prepare.py'], { cwd: dataDir, env, logFile: path.join(base, 'prepare.log') });
  const warmIters = 20;
  const warm = await mustRun('nanoGPT warm-up', PYTHON, nanogptArgs({ dataDir, outDir: path.join(base, 'warmup'), maxIters: warmIters, evalInterval: 1_000_000, warmupIters: 1 }), { cwd: NANOGPT_DIR, env, logFile: path.join(base, 'warmup.log') });
  const plan = planNanogpt(minutes * 60, { iters: warmIters, seconds: warm.seconds, times: parseNanogptLog(warm.stdout) });
  log(`nanoGPT plan: ${plan.maxIters} iterations (${plan.perIter.toFixed(3)} s each), evaluations every ${plan.evalInterval} (${plan.evalSeconds.toFixed(1)} s each), warm-up ${plan.warmupIters}, startup ${plan.startupSeconds.toFixed(1)} s`);
  return { base, dataDir, plan, seconds: warm.seconds };
}

async function trainNanogpt({ base, dataDir, plan, env }) {
  const outDir = path.join(base, 'out');
  const r = await mustRun('nanoGPT train.py', PYTHON, nanogptArgs({ dataDir, outDir, ...plan }), { cwd: NANOGPT_DIR, env, logFile: path.join(base, 'train.log') });
  const batchSize = 12;
  const blockSize = 64;
  return {
    out: outDir,
    dataDir,
    seconds: r.seconds,
    plan,
    charsTrained: plan.maxIters * batchSize * blockSize,
    recipe: `nanoGPT train.py, README CPU flags (4 layers, 4 heads, n_embd 128, block 64, batch 12, dropout 0, lr 1e-3 cosine to 1e-4), max_iters = lr_decay_iters = ${plan.maxIters}, eval_interval ${plan.evalInterval}, warmup_iters ${plan.warmupIters}`,
  };
}

async function trainRnn({ dir, minutes, threads, env, train, valid, tools }) {
  const out = path.join(dir, 'rnn');
  const script = path.join(WORKSPACE, 'tools/pytorch-reference/charrnn.py');
  const r = await mustRun('charrnn.py', PYTHON, [script, train, '--valid', valid, '--minutes', String(minutes), '--threads', String(threads), '--out', out], { env, logFile: path.join(dir, 'rnn.log') });
  const problems = tools.anchorProblems(tools.parseAnchor(r.stdout), threads);
  if (problems.length) throw new QualityError(`the PyTorch RNN did not run as a fair anchor: ${problems.join('; ')}`);
  const report = JSON.parse(readFileSync(path.join(out, 'train.json'), 'utf8'));
  const c = report.recipe;
  return {
    out,
    seconds: r.seconds,
    report,
    recipe: `tools/pytorch-reference/charrnn.py: ${c.layers}-layer ${c.arch.toUpperCase()} e${c.embed} h${c.hidden}, locked dropout ${c.dropout}, bs ${c.bs}, bptt ${c.bptt}, Adam lr ${c.lr} cosine to ${c.min_lr}, clip ${c.clip}; best of ${report.checks.length} validation${report.checks.length === 1 ? '' : 's'} in the last half`,
  };
}

/** Checks that nanoGPT's val.bin is exactly the held-out text (its split is the one every model is scored on). */
export function checkNanogptSplit(dataDir, text, validText) {
  const vocab = nanogptVocab(text);
  const bin = readFileSync(path.join(dataDir, 'val.bin'));
  const ids = new Uint16Array(bin.buffer, bin.byteOffset, bin.length / 2);
  let decoded = '';
  for (const id of ids) decoded += vocab[id];
  if (decoded !== validText) throw new QualityError(`nanoGPT's val.bin (${ids.length} characters) is not the held-out text (${validText.length} characters): the splits differ`);
}

async function main(argv) {
  const opts = parseArgs(argv);
  const { name, file } = resolveCorpus(opts.corpus);
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  const problems = textProblems(text, file);
  if (problems.length) throw new QualityError(problems.join('; '));
  const cut = splitIndex(text.length);
  const trainText = text.slice(0, cut);
  const validText = text.slice(cut);
  const dir = path.resolve(opts.out ?? freshDirectory(path.join(WORKSPACE, 'checkpoints/quality', `${name}-${opts.minutes}m`)));
  if (existsSync(dir)) throw new QualityError(`--out ${dir} exists; give a new directory (a run is never overwritten)`);
  mkdirSync(dir, { recursive: true });
  const corpusFile = path.join(dir, 'corpus.txt');
  const train = path.join(dir, 'train.txt');
  const valid = path.join(dir, 'valid.txt');
  writeFileSync(corpusFile, text);
  writeFileSync(train, trainText);
  writeFileSync(valid, validText);
  const env = threadEnv(opts.threads);
  log(`${name}: ${text.length} characters, training on the first ${cut}, scoring the last ${validText.length}; ${opts.minutes} min each, ${opts.threads} thread(s); run directory ${dir}`);

  const phases = [];
  const phase = async (label, fn) => {
    const before = loadavg();
    const result = await fn();
    phases.push({ phase: label, loadavg: [before, loadavg()], ...(Number.isFinite(result.seconds) ? { seconds: Number(result.seconds.toFixed(1)) } : {}) });
    return result;
  };
  const tools = await anchorTools();
  const anchor = opts.only.some((m) => m !== 'ours') ? await phase('PyTorch anchor check', async () => ({ seconds: NaN, ...(await checkPytorch(tools, env, opts.threads, opts.pytorchFloor)) })) : null;
  const nanogpt = opts.only.includes('nanogpt') ? await phase('nanoGPT warm-up', () => planNanogptRun({ dir, corpusFile, minutes: opts.minutes, env })) : null;
  if (nanogpt) checkNanogptSplit(nanogpt.dataDir, text, validText);
  const trained = {};
  if (opts.only.includes('ours')) trained.ours = await phase('ours', () => trainOurs({ dir, corpusFile, minutes: opts.minutes, threads: opts.threads, env }));
  if (nanogpt) trained.nanogpt = await phase('nanoGPT', () => trainNanogpt({ ...nanogpt, env }));
  if (opts.only.includes('rnn')) trained.rnn = await phase('PyTorch RNN', () => trainRnn({ dir, minutes: opts.minutes, threads: opts.threads, env, train, valid, tools }));

  const specs = [trained.ours && `charrnn:${trained.ours.out}`, trained.nanogpt && `nanogpt:${trained.nanogpt.out}`, trained.rnn && `charrnn:${trained.rnn.out}`].filter(Boolean);
  const evaluation = await phase('evaluation', () => mustRun('evaluate.py', PYTHON, [path.join(WORKSPACE, 'tools/quality/evaluate.py'), '--valid', valid, '--threads', String(opts.threads), ...specs], { env, logFile: path.join(dir, 'evaluate.log') }));
  const scores = JSON.parse(evaluation.stdout);
  const byPath = new Map(scores.models.map((m) => [m.path, m]));

  const models = [];
  const row = (model, t, extra) => {
    const s = byPath.get(t.out);
    models.push({ model, recipe: t.recipe, params: s.params, valLoss: s.loss, wallSeconds: Number(t.seconds.toFixed(1)), unknown: s.unknown, context: s.context, prompt: s.prompt, sample: s.sample, temperature: s.temperature, ...extra });
  };
  if (trained.ours) {
    const trainer = JSON.parse(readFileSync(path.join(trained.ours.out, 'trainer.json'), 'utf8'));
    row('ours', trained.ours, { charsTrained: Math.round(oursCharsTrained(trainer)), ownValLoss: oursOwnValidLoss(trainer), config: byPath.get(trained.ours.out).config });
  }
  if (trained.nanogpt) {
    const s = byPath.get(trained.nanogpt.out);
    row('nanoGPT', trained.nanogpt, { charsTrained: trained.nanogpt.charsTrained, ownValLoss: s.ownBestValLoss, keptIter: s.iterNum, plan: trained.nanogpt.plan });
  }
  if (trained.rnn) {
    const { charsTrained, bestValidLoss, recipe } = trained.rnn.report;
    row('PyTorch RNN', trained.rnn, { charsTrained, ownValLoss: bestValidLoss, ownValChars: Math.min(recipe.check_chars, validText.length), config: byPath.get(trained.rnn.out).config });
  }

  const report = {
    corpus: { name, file: path.relative(WORKSPACE, file), sha256: createHash('sha256').update(bytes).digest('hex'), chars: text.length, trainChars: cut, validChars: validText.length },
    split: "nanoGPT's: the first int(n × 0.9) characters train, the rest is held out; text as written (newlines and case kept)",
    minutes: opts.minutes,
    threads: opts.threads,
    anchor: anchor && { torch: anchor.torch, blas: anchor.blas, blasKind: anchor.blasKind, lessonGruCharsPerCpuSecond: anchor.lessonGru.charsPerCpuSecond, floor: anchor.floor.charsPerCpuSecond, floorGiven: anchor.floor.explicit },
    evaluator: `tools/quality/evaluate.py: mean cross-entropy in nats per character of characters 2..n of the held-out text (${scores.scored} predictions), each model starting cold at its first character`,
    models,
    phases,
    runDirectory: path.relative(WORKSPACE, dir),
  };
  writeFileSync(path.join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).catch((e) => {
    // QualityError and train:bench's AnchorError name the problem; anything else is a bug, with its stack.
    process.stderr.write(`quality: ${e instanceof QualityError || e?.name === 'AnchorError' ? e.message : e.stack}\n`);
    process.exitCode = 1;
  });
}
