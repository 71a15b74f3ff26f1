#!/usr/bin/env node
// Reproduces the lesson's results table on the embedded corpus with @charrnn/train:
// RNN 4 epochs at 1e-3 then 4 at 1e-4, GRU 6 at 1e-3 then 3 at 1e-4 (embedding 42, hidden 256,
// bs 64, bptt 8, min_freq 3, Adam). Writes <out>/results.md and <out>/loss-curves.svg, and each
// run's checkpoint under <out>/rnn and <out>/gru.
// Usage (after `npx nx run train:build`):
//   node tools/reproduce-lesson.mjs [--out checkpoints/lesson] [--overwrite] [--max-batches N] [--engine auto|ort|tfjs] [--backend auto|wasm|cpu] [--only rnn|gru] [--seed N]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { integerFlag, writeFileAtomic } from '@charrnn/contract/node';
import { BACKEND_CHOICES, DEFAULT_FIT_OPTIONS, ENGINE_CHOICES, lineChartSvg, runFit } from '@charrnn/train';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'checkpoints/lesson' },
    // A second reproduction into the same --out replaces the first only when asked to.
    overwrite: { type: 'boolean', default: false },
    'max-batches': { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    backend: { type: 'string', default: 'auto' },
    only: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});

const RUNS = [
  { arch: 'rnn', schedule: '4@1e-3,4@1e-4', target: 1.544, targetNote: "the lesson's figure" },
  { arch: 'gru', schedule: '6@1e-3,3@1e-4', target: 1.42, targetNote: 'PyTorch, same model, recipe and split' },
].filter((r) => !args.only || args.only === r.arch);

// Checked here, before the first of several minutes of training, so a typo fails at once.
function fail(message) {
  console.error(`reproduce-lesson: ${message}`);
  process.exit(2);
}
/** The CLIs' integer parser (@charrnn/data/node), its message prefixed with the flag. */
function count(flag, min) {
  try {
    return integerFlag(min)(args[flag]);
  } catch (error) {
    return fail(`--${flag}: ${error.message}`);
  }
}
if (args.only !== undefined && !RUNS.length) fail(`--only ${args.only} is not a run of the lesson; expected rnn or gru`);
const maxBatches = args['max-batches'] === undefined ? null : count('max-batches', 1);
const seed = count('seed', 0);
if (!ENGINE_CHOICES.includes(args.engine)) fail(`--engine ${args.engine} is invalid; expected one of ${ENGINE_CHOICES.join(', ')}`);
if (!BACKEND_CHOICES.includes(args.backend)) fail(`--backend ${args.backend} is invalid; expected one of ${BACKEND_CHOICES.join(', ')}`);

const results = [];
for (const run of RUNS) {
  const options = { ...DEFAULT_FIT_OPTIONS, arch: run.arch, schedule: run.schedule, maxBatches, engine: args.engine, backend: args.backend, seed };
  const started = Date.now();
  const result = await runFit({ options, out: path.join(args.out, run.arch), overwrite: args.overwrite });
  if (result.interrupted) process.exit(130);
  results.push({ ...run, engine: result.engine, history: result.history, wallSeconds: (Date.now() - started) / 1000 });
}

const fmt = (x, d = 4) => x.toFixed(d);
const lines = [
  `# Lesson reproduction (@charrnn/train, ${[...new Set(results.map((r) => r.engine))].join(' / ')} engine)`,
  '',
  `Embedded corpus (nietzsche.txt, lower-cased, last 20% of lines for validation), embedding 42, hidden 256, bs 64, bptt 8, min_freq 3, Adam, seed ${seed}${maxBatches ? `, at most ${maxBatches} batches per epoch` : ''}.`,
  '',
  '| model | schedule | epochs | final train loss | final val loss | target | met | train chars/s (mean) | wall time |',
  '|---|---|---:|---:|---:|---:|:---:|---:|---:|',
];
for (const r of results) {
  const last = r.history[r.history.length - 1];
  const cps = r.history.reduce((s, h) => s + h.charsPerSecond, 0) / r.history.length;
  lines.push(
    `| ${r.arch.toUpperCase()} | ${r.schedule} | ${r.history.length} | ${fmt(last.trainLoss)} | ${fmt(last.validLoss)} | ≤ ${r.target} (${r.targetNote}) | ${last.validLoss <= r.target ? 'yes' : 'no'} | ${Math.round(cps)} | ${(r.wallSeconds / 60).toFixed(1)} min |`,
  );
}
for (const r of results) {
  lines.push('', `## ${r.arch.toUpperCase()} per epoch`, '', '| epoch | lr | trn_loss | val_loss | chars/s | time |', '|---:|---:|---:|---:|---:|---:|');
  for (const h of r.history) lines.push(`| ${h.epoch} | ${h.lr.toExponential(0)} | ${fmt(h.trainLoss)} | ${fmt(h.validLoss)} | ${Math.round(h.charsPerSecond)} | ${h.seconds.toFixed(1)} s |`);
}
lines.push('', '![loss curves](loss-curves.svg)', '');

const colors = { rnn: ['#9ecae1', '#3182bd'], gru: ['#fdae6b', '#e6550d'] };
const svg = lineChartSvg(
  results.flatMap((r) => [
    { name: `${r.arch} train`, color: colors[r.arch][0], points: r.history.map((h) => [h.epoch, h.trainLoss]) },
    { name: `${r.arch} validation`, color: colors[r.arch][1], points: r.history.map((h) => [h.epoch, h.validLoss]) },
  ]),
  { title: 'Lesson reproduction: loss per epoch', xLabel: 'epoch', yLabel: 'NLL per char' },
);
await writeFileAtomic(path.join(args.out, 'results.md'), lines.join('\n'));
await writeFileAtomic(path.join(args.out, 'loss-curves.svg'), svg);
console.log(lines.join('\n'));
console.log(`\nwrote ${path.join(args.out, 'results.md')} and loss-curves.svg`);
