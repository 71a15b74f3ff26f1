#!/usr/bin/env node
// The READMEs' benchmark tables, generated from the benchmarks' JSON instead of pasted by hand.
//
//   node tools/figures.mjs run [--max-busy N] [--dir D] [--extra 'FLAGS'] [name ...]
//                                           run the benchmarks (each an `nx run <project>:bench`),
//                                           keep each report in figures/<name>.json, then render
//   node tools/figures.mjs render           rewrite every README block from figures/*.json
//   node tools/figures.mjs check            exit 1 if a README block differs from its JSON
//
//                                           (and the mutation scores from reports/mutation/)
// A README block is the text between `<!-- figures:<table> -->` and `<!-- /figures:<table> -->`;
// until its JSON exists it keeps what it holds (the hand-measured table it replaces). Every
// rendered table is followed by the machine (CPU model and vector flags), its load before and
// after, and the date, recorded by this script around the run: a figure without them says
// nothing on a shared host.
//
// The load gate: before each run, `run` samples how many CPU cores other work keeps busy (over
// LOAD_GATE.sampleSeconds) and refuses to run above LOAD_GATE.maxBusyCores, since a busy machine
// distorts both sides of a ratio unevenly. `--max-busy N` raises the threshold explicitly; the
// figure then records the override and its table says so.
// A training figure that cites PyTorch is rendered only when its report records a sound anchor
// (train:bench's check: a fast BLAS, and the lesson GRU at 1 thread above the CPU class's floor);
// otherwise the block says the figures are withdrawn and why.
//
// `--dir D` keeps the JSON in D instead of figures/ and leaves the READMEs alone; `--extra` appends
// flags to every benchmark's own (later flags win): together, a quick smoke of the whole path.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKSPACE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIGURES_DIR = 'figures';

/** The benchmark runs behind the tables: nx target and the flags of the measured configuration. */
export const RUNS = [
  { name: 'train-gru', target: 'train:bench', args: ['--arch', 'gru', '--rounds', '3', '--windows', '5'] },
  { name: 'train-rnn', target: 'train:bench', args: ['--arch', 'rnn', '--rounds', '3', '--windows', '5'] },
  { name: 'train-lstm', target: 'train:bench', args: ['--arch', 'lstm', '--rounds', '3', '--windows', '5'] },
  { name: 'train-gru2', target: 'train:bench', args: ['--arch', 'gru', '--layers', '2', '--rounds', '3', '--windows', '5'] },
  // Data-parallel on every core of the machine (at least 2), each round against one worker just before.
  { name: 'train-gru-parallel', target: 'train:bench', args: ['--arch', 'gru', '--workers', String(Math.max(2, os.availableParallelism())), '--scaling', '--rounds', '3', '--windows', '5'] },
  { name: 'generation', target: 'infer-web:bench', args: ['--windows', '9'] },
  { name: 'serving', target: 'serve:bench', args: [] },
  { name: 'demo-lighthouse', target: 'infer-web:lighthouse', args: ['--runs', '5'] },
  ...['nietzsche', 'sqlite3.h'].flatMap((corpus) =>
    [3, 10].map((minutes) => ({ name: `quality-${corpus.replace(/\.h$/, '')}-${minutes}m`, target: 'train:quality', args: ['--corpus', corpus, '--minutes', String(minutes)] })),
  ),
];

/** Which tables each README holds, and the runs each table is rendered from. */
export const TABLES = {
  'training-speed': { runs: ['train-gru', 'train-rnn', 'train-lstm', 'train-gru2'], render: trainingTable },
  'data-parallel': { runs: ['train-gru-parallel'], render: parallelTable },
  'generation-speed': { runs: ['generation'], render: generationTable },
  'serving-load': { runs: ['serving'], render: servingTable },
  'demo-lighthouse': { runs: ['demo-lighthouse'], render: lighthouseTable },
  // A quality table shows the budgets measured so far (each run takes about three times its budget) and names the others.
  'quality-nietzsche': { runs: ['quality-nietzsche-3m', 'quality-nietzsche-10m'], render: qualityTable, partial: true },
  'quality-sqlite3': { runs: ['quality-sqlite3-3m', 'quality-sqlite3-10m'], render: qualityTable, partial: true },
};
export const READMES = ['README.md', 'packages/train/README.md', 'packages/infer-web/README.md', 'packages/serve/README.md'];

/** The load gate of `run` (see the top of this file). */
export const LOAD_GATE = { sampleSeconds: 5, maxBusyCores: 0.5 };

/** Cores busy between two os.cpus() snapshots: Σ over CPUs of its non-idle share of the interval. */
export function busyCores(before, after) {
  let busy = 0;
  after.forEach((cpu, i) => {
    const d = (k) => cpu.times[k] - (before[i]?.times[k] ?? 0);
    const total = d('user') + d('nice') + d('sys') + d('idle') + d('irq');
    if (total > 0) busy += 1 - d('idle') / total;
  });
  return busy;
}

/** Why the gate refuses a run with `busy` cores busy, or null when it may run. */
export function gateRefusal(name, busy, maxBusyCores, overridden) {
  if (busy <= maxBusyCores) return null;
  return (
    `refusing to run ${name}: ${busy.toFixed(2)} CPU cores were busy over a ${LOAD_GATE.sampleSeconds} s sample, above the threshold of ${maxBusyCores} ` +
    `(other work distorts both sides of a ratio unevenly). Wait for a quiet machine, or pass --max-busy N to run anyway; the figure then records the override` +
    (overridden ? ` (--max-busy ${maxBusyCores} was given)` : '')
  );
}

const int = (n) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const ratio = (n) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(2));

/** The widest vector extensions among /proc/cpuinfo flags, for a reader comparing machines. */
export function vectorFlags(flags = []) {
  const shown = ['avx512f', 'avx512_bf16', 'avx512_fp16', 'amx_tile', 'avx2', 'fma', 'avx', 'sse4_2', 'neon', 'asimd', 'sve'];
  return shown.filter((f) => flags.includes(f));
}

/** One line saying where and when the figures were measured. */
export function provenance(recorded) {
  const loads = recorded.map((r) => r.loadavg);
  const lo = Math.min(...loads.flat());
  const hi = Math.max(...loads.flat());
  const dates = recorded.map((r) => r.date).sort();
  const when = dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} to ${dates[dates.length - 1]}`;
  const m = recorded[0].machine;
  const flags = m.cpuFlags ? `, flags ${vectorFlags(m.cpuFlags).join(' ') || 'none of the vector ones'}` : '';
  const gates = recorded.map((r) => r.gate).filter(Boolean);
  const busy = gates.map((g) => g.busyCores);
  const overridden = gates.filter((g) => g.overridden);
  const gate = gates.length
    ? `; ${Math.min(...busy).toFixed(2)}–${Math.max(...busy).toFixed(2)} cores busy before each run (${overridden.length ? `**load gate overridden**: --max-busy ${Math.max(...overridden.map((g) => g.maxBusyCores))} for ${overridden.length} of ${recorded.length} runs` : `gate ${gates[0].maxBusyCores}`})`
    : '';
  return (
    `Generated by \`node tools/figures.mjs\` from ${recorded.map((r) => `\`figures/${r.name}.json\``).join(', ')}: ` +
    `${m.cpus} × ${m.cpuModel}${flags}, ${m.platform}, Node ${m.node}; 1-minute load average ${lo.toFixed(2)}–${hi.toFixed(2)} ` +
    `(before and after each run)${gate}; ${when}.`
  );
}

/** The BLAS libraries train:bench accepts under PyTorch (packages/train/bench/anchor.ts). */
export const FAST_BLAS = ['OpenBLAS', 'MKL', 'BLIS'];

/** The lesson's GRU run, the configuration whose PyTorch anchor has a floor. */
const LESSON_GRU = { arch: 'gru', embeddingDim: 42, hiddenSize: 256, numLayers: 1, batchSize: 64, bptt: 8 };
const lessonGru = (c) => Object.entries(LESSON_GRU).every(([key, value]) => c[key] === value);

/**
 * Why a recorded train:bench figure may not be shown beside PyTorch: [] when it cites no PyTorch
 * or its report records a sound anchor (re-checked here, not taken on trust).
 */
export function anchorProblems(recorded) {
  const { name, report } = recorded;
  if (!Array.isArray(report.pytorch) || report.pytorch.length === 0) return [];
  const file = `\`figures/${name}.json\``;
  const a = report.anchor;
  if (!a) {
    const oneThread = report.rounds?.flatMap((r) => (r.pytorch ?? []).filter((p) => p.threads === 1).map((p) => p.result?.charsPerCpuSecond)).filter(Number.isFinite) ?? [];
    const speed =
      lessonGru(report.config) && oneThread.length
        ? `; its PyTorch trained the lesson GRU at ${oneThread.map(int).join(', ')} chars per CPU-second on 1 thread (one per round)`
        : '';
    return [`${file} (${recorded.date}) was measured before train:bench checked its PyTorch anchor: no BLAS, thread sizing or floor run is recorded${speed}`];
  }
  const problems = [];
  if (!FAST_BLAS.includes(a.blasKind)) problems.push(`${file}: PyTorch multiplied with ${a.blasKind} (${a.blas ?? 'no library mapped'})`);
  const cps = a.lessonGru?.charsPerCpuSecond;
  const floor = a.floor?.charsPerCpuSecond;
  if (!Number.isFinite(cps) || !Number.isFinite(floor) || cps < floor) {
    problems.push(`${file}: PyTorch trained the lesson GRU at ${int(cps)} chars per CPU-second on 1 thread, under the floor of ${int(floor)}`);
  }
  return problems;
}

/** The block shown instead of figures whose anchor failed: which files, why, and how to measure again. */
export function withdrawn(table, recorded, problems) {
  return [
    `**Withdrawn.** The ${table} figures are not shown: their PyTorch reference fails the anchor check of \`node tools/figures.mjs\` ` +
      '(train:bench refuses a PyTorch that multiplies with the reference BLAS, has unsized thread pools or trains the lesson GRU under ' +
      'its CPU class\'s floor; `packages/train/bench/anchor.ts`), so their ratios would mislead:',
    '',
    ...problems.map((p) => `- ${p}.`),
    '',
    `\`node tools/figures.mjs run ${recorded.map((r) => r.name).join(' ')}\` on a quiet machine measures them again.`,
  ];
}

/** The bench's own ratio (median over rounds of ours / the faster PyTorch of that round) and each round's. */
function perRound(report) {
  const rounds = report.rounds.map((r) => r.ratio).filter((r) => typeof r === 'number');
  return report.ratio === null || report.ratio === undefined ? '—' : `**${ratio(report.ratio)}** (${rounds.map(ratio).join(', ')})`;
}

/** A train:bench report's config as a table's model column. */
const benchModel = (c) => `${c.arch.toUpperCase()} e${c.embeddingDim} h${c.hiddenSize}${c.numLayers > 1 ? ` ×${c.numLayers}` : ''}, bs ${c.batchSize}, bptt ${c.bptt}`;

/** train:bench reports (one per arch) → ours beside PyTorch at each thread count. */
export function trainingTable(reports) {
  const rows = [
    '| model | engine | ours, chars/s | PyTorch, 1 thread | ours / PyTorch 1 | PyTorch, 2 threads | ours / PyTorch 2 | ours / faster PyTorch, per round | peak RSS |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { report } of reports) {
    const torch = Array.isArray(report.pytorch) ? report.pytorch : [];
    const at = (threads) => torch.find((t) => t.threads === threads)?.charsPerSecond ?? null;
    const model = benchModel(report.config);
    rows.push(
      `| ${model} | ${report.engine}, ${report.workers} thread${report.workers === 1 ? '' : 's'} | ${int(report.charsPerSecond)} | ${int(at(1))} | ${ratio(at(1) && report.charsPerSecond / at(1))} | ${int(at(2))} | ${ratio(at(2) && report.charsPerSecond / at(2))} | ${perRound(report)} | ${int(report.peakRssMB)} MB |`,
    );
  }
  const notes = reports.flatMap(({ report }) => (report.pytorch && !Array.isArray(report.pytorch) ? [`PyTorch ${report.pytorch.note}.`] : []));
  const rounds = reports[0].report.rounds.length;
  return [...rows, '', `Medians of ${rounds} round${rounds === 1 ? '' : 's'}, each ours then PyTorch back to back on the same config.${notes.length ? ' ' + [...new Set(notes)].join(' ') : ''}`];
}

/** A train:bench --scaling report → one worker beside N data-parallel workers (measured back to back each round), and PyTorch on as many threads. */
export function parallelTable([{ report }]) {
  const s = report.scaling;
  const torch = Array.isArray(report.pytorch) ? report.pytorch : [];
  const same = torch.find((t) => t.threads === s.workers)?.charsPerSecond ?? null;
  const model = benchModel(report.config);
  return [
    `| model | one worker, chars/s | ${s.workers} workers, chars/s | ${s.workers} workers / one, per round | target | PyTorch, ${s.workers} threads | ours, ${s.workers} workers / PyTorch, ${s.workers} threads |`,
    '|---|---:|---:|---:|---|---:|---:|',
    `| ${model} | ${int(s.oneWorker)} | ${int(report.charsPerSecond)} | **${ratio(s.ratio)}** (${s.rounds.map(ratio).join(', ')}) | ≥ 1.7 on 2 cores | ${int(same)} | ${ratio(same && report.charsPerSecond / same)} |`,
    '',
    `Medians of ${s.rounds.length} round${s.rounds.length === 1 ? '' : 's'}, each one worker, then ${s.workers} workers, then PyTorch, back to back on the same batches (the engine: ${report.engine}).`,
  ];
}

/** infer-web:bench report → the generation figures with their targets. */
export function generationTable([{ report: r }]) {
  return [
    '| figure | chars/s | target |',
    '|---|---:|---|',
    `| onnxruntime-node, minimal loop on its public API (no infer-web code) | ${int(r.node_minimal_loop_chars_per_s)} | |`,
    `| batch-1, onnxruntime-node (CPU) | ${int(r.node_batch1_chars_per_s)} | ≥ 25,000 |`,
    `| batch-1, onnxruntime-web (wasm, in Node) | ${int(r.wasm_batch1_chars_per_s)} | ≥ 12,000 |`,
    `| priming a 1,000-char prompt (node) | ${int(r.node_priming_chars_per_s)} = ${ratio(r.priming_speedup_vs_generation)}× generation | ≥ 20× |`,
    `| priming (wasm) | ${int(r.wasm_priming_chars_per_s)} | |`,
    `| batch-${r.batch} aggregate (node) | ${int(r.node_batch_aggregate_chars_per_s)} = ${ratio(r.batch_speedup_vs_batch1)}× batch-1 | ≥ 10× |`,
    '',
    `Model: ${r.model.arch.toUpperCase()} embed ${r.model.embeddingDim}, hidden ${r.model.hiddenSize}, vocab ${r.model.vocabSize}, ${r.model.graph} graph; medians of ${r.windows} windows.`,
  ];
}

/** serve:bench report → one row per client count. */
export function servingTable([{ report: r }]) {
  const rows = [
    '| clients | chars/s | chars per chunk | per-char latency p50 / p99 | first char p50 / p99 | requests (completed, errors) | server RSS |',
    '|---:|---:|---:|---|---|---|---:|',
  ];
  for (const p of r.phases) {
    rows.push(
      `| ${p.clients} | ${int(p.chars_per_s)} | ${p.chars_per_chunk} | ${p.char_latency_ms.p50} / ${p.char_latency_ms.p99} ms | ${p.first_char_ms.p50} / ${p.first_char_ms.p99} ms | ${p.requests} (${p.completed}, ${p.errors}) | ${int(p.server_rss_mb)} MB |`,
    );
  }
  const s = r.ratios?.streams64_vs_1;
  const h = r.ratios?.http1_vs_inprocess_batch1;
  const inprocess = h ? `; one HTTP+SSE stream / in-process batch-1 (${int(r.inprocess_batch1_chars_per_s)} chars/s, median of the runs before and after): ${ratio(h)}×` : '';
  return [...rows, '', `max_tokens ${r.max_tokens}, flush interval ${r.flush_interval_ms} ms, large-run threads ${r.large_run_threads}${s ? `; 64 streams / 1 stream: ${ratio(s)}×` : ''}${inprocess}.`];
}

/** infer-web:lighthouse report → each category's median score beside its target, the metrics, and what did not pass. */
export function lighthouseTable([{ report: r }]) {
  const names = { performance: 'performance', accessibility: 'accessibility', 'best-practices': 'best practices' };
  const rows = ['| category | score (median) | each run | target |', '|---|---:|---|---|'];
  for (const [category, target] of Object.entries(r.targets)) {
    const score = r.scores[category];
    rows.push(`| ${names[category] ?? category} | **${score}** | ${r.runs.map((run) => run.scores[category]).join(', ')} | ≥ ${target} ${score >= target ? '✓' : '✗'} |`);
  }
  const m = r.metrics;
  const s = r.settings;
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const failing = r.failing.map((f) => `- ${names[f.category] ?? f.category}: ${cell(f.title)}${f.displayValue ? ` (${cell(f.displayValue)})` : ''}, in ${f.runs} of ${r.runs.length} runs`);
  return [
    ...rows,
    '',
    `Medians of ${r.runs.length} runs: first contentful paint ${seconds(m['first-contentful-paint'])}, largest contentful paint ${seconds(m['largest-contentful-paint'])}, ` +
      `total blocking time ${int(m['total-blocking-time'])} ms, cumulative layout shift ${m['cumulative-layout-shift'].toFixed(3)}, speed index ${seconds(m['speed-index'])}. ` +
      `Lighthouse ${s.lighthouse} with its defaults: a ${s.formFactor} screen (${s.screen.width}×${s.screen.height} at ${s.screen.deviceScaleFactor}×), ${s.throttlingMethod} throttling ` +
      `(${s.rttMs} ms round trips, ${(s.throughputKbps / 1000).toFixed(1)} Mbit/s, CPU ×${s.cpuSlowdownMultiplier}), ${r.chromium}, headless; ` +
      `the demo page as \`nx run infer-web:demo\` serves it (brotli ${r.brotliQuality}). Lighthouse's benchmark index of the machine per run: ${r.runs.map((run) => int(run.benchmarkIndex)).join(', ')}.`,
    '',
    failing.length === 0 ? 'Every audit that counts in these scores passed in every run.' : 'Audits that count in a score and did not pass:',
    ...failing,
  ];
}

const loss = (n) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(4));
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const duration = (seconds) => {
  const s = Math.round(seconds);
  return s < 90 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

/** A fenced code block that the text itself cannot close (CommonMark: a fence longer than any backtick run inside). */
export function fenced(text) {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}text`, ...text.split('\n'), fence];
}

/** How each tool measured its own validation loss, from the models present. */
function ownValWhat(recorded) {
  const what = { ours: 'ours over its validation streams of the held-out text', nanoGPT: 'nanoGPT the mean of random 64-character windows of it' };
  const parts = new Set();
  for (const { report } of recorded) {
    for (const m of report.models) {
      if (m.model === 'PyTorch RNN') parts.add(`the RNN over 16 stateful streams of its first ${int(m.ownValChars)} characters`);
      else if (what[m.model]) parts.add(what[m.model]);
    }
  }
  return [...parts].join('; ');
}

/** train:quality reports (one per budget, same corpus) → one row per model and budget, the best loss of a budget in bold, then each model's sample. */
export function qualityTable(recorded) {
  const first = recorded[0].report;
  const rows = [
    '| budget | model | recipe | params | chars trained | **val loss** (nats/char) | its own val loss | wall time |',
    '|---:|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const { report: r } of recorded) {
    const best = Math.min(...r.models.map((m) => m.valLoss));
    for (const m of r.models) {
      const l = m.valLoss === best ? `**${loss(m.valLoss)}**` : loss(m.valLoss);
      rows.push(`| ${r.minutes} min | ${m.model} | ${cell(m.recipe)} | ${int(m.params)} | ${int(m.charsTrained)} | ${l}${m.unknown ? ` (${m.unknown} chars unknown to it)` : ''} | ${loss(m.ownValLoss)} | ${duration(m.wallSeconds)} |`);
    }
  }
  const c = first.corpus;
  const lines = [
    ...rows,
    '',
    `Corpus \`${c.file}\` (${int(c.chars)} characters, sha256 ${c.sha256.slice(0, 12)}…). Split: ${first.split}: ${int(c.trainChars)} train, ${int(c.validChars)} held out. ` +
      `Val loss: ${first.evaluator}; ${[...new Set(recorded.flatMap((x) => x.report.models.map((m) => `${m.model} ${m.context}`)))].join('; ')}. ` +
      `Its own val loss is what each tool reported for the weights it kept: ${ownValWhat(recorded)}. ` +
      `Each model had ${[...new Set(recorded.map((x) => `${x.report.threads} thread${x.report.threads === 1 ? '' : 's'}`))].join(' / ')} and the budget, trained one after another; ` +
      `load average per phase: ${recorded.map((x) => `${x.report.minutes} min ${x.report.phases.map((p) => `${p.phase} ${p.loadavg.map((v) => v.toFixed(1)).join('–')}`).join(', ')}`).join('; ')}.` +
      (first.anchor ? ` PyTorch ${first.anchor.torch} multiplied with ${first.anchor.blasKind} (\`${first.anchor.blas}\`); train:bench's anchor check passed (lesson GRU at 1 thread: ${int(first.anchor.lessonGruCharsPerCpuSecond)} chars per CPU-second, floor ${int(first.anchor.floor)}${first.anchor.floorGiven ? ' given with --pytorch-floor' : ''}).` : ''),
  ];
  for (const { report: r } of recorded) {
    lines.push('', `Samples after ${r.minutes} min (temperature ${r.models[0].temperature}, after the held-out text's first ${r.models[0].prompt.length} characters):`, '', ...fenced(r.models[0].prompt));
    for (const m of r.models) lines.push('', `${m.model}:`, '', ...fenced(m.sample));
  }
  return lines;
}

/** Where each package's mutation-testing baseline is committed (tools/stryker-config.mjs writes it). */
export const MUTATION_DIR = 'reports/mutation';
export const MUTATION_TABLE = 'mutation-scores';

const percent = (n) => (Number.isFinite(n) ? `${n.toFixed(1)}%` : '—');
const oneLine = (text, max = 70) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * Stryker's reports (mutation-testing-report-schema JSON, one per package: [{ pkg, report }]) → a
 * score per mutated module, then every mutant left alive: those `explained` (reports/mutation/
 * explained.json: per file, { mutator, original, replacement, within?, line?, why } for a mutant no test can kill because it
 * changes nothing observable) with the reason, and those neither killed nor explained. Score =
 * (killed + timed out) / (that + survived + no coverage), Stryker's own, explained survivors
 * counted as survivors; mutants that do not compile or crash the test run are not counted.
 */
export function mutationTable(reports, explained = {}) {
  const rows = [
    '| module | mutants | killed | timed out | survived | of which equivalent | no coverage | score | score without the equivalent |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const equivalent = [];
  const alive = [];
  const zero = () => ({ mutants: 0, Killed: 0, Timeout: 0, Survived: 0, equivalent: 0, NoCoverage: 0 });
  for (const { pkg, report } of reports) {
    const totals = zero();
    const files = Object.keys(report.files).sort();
    for (const file of files) {
      const count = zero();
      const mutants = [...report.files[file].mutants].sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column);
      for (const m of mutants) {
        if (!(m.status in count)) continue; // CompileError, RuntimeError, Ignored: not part of the score
        count[m.status]++;
        count.mutants++;
        if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
        const where = `\`${file}:${m.location.start.line}\` ${m.mutatorName} → ${codeSpan(oneLine(m.replacement ?? ''))}`;
        const original = sourceAt(report.files[file].source, m.location);
        const why =
          m.status === 'Survived'
            ? (explained[file] ?? []).find(
                (e) =>
                  e.mutator === m.mutatorName &&
                  e.original === original &&
                  e.replacement === m.replacement &&
                  (e.within === undefined || lineOf(report.files[file].source, m.location).includes(e.within)) &&
                  (e.line === undefined || e.line === m.location.start.line),
              )?.why
            : undefined;
        if (why !== undefined) {
          count.equivalent++;
          equivalent.push(`- ${where}: ${why}`);
        } else alive.push(`- ${where} (${m.status === 'Survived' ? 'survived' : 'no test covers it'})`);
      }
      for (const k of Object.keys(totals)) totals[k] += count[k];
      rows.push(mutationRow(file.replace(`packages/${pkg}/src/`, `${pkg}: `), count));
    }
    if (files.length > 1) rows.push(mutationRow(`**${pkg}, all**`, totals));
  }
  return [
    ...rows,
    '',
    `Surviving mutants that are equivalent (no test can tell them from the code): ${equivalent.length === 0 ? 'none.' : ''}`,
    ...equivalent,
    '',
    `Mutants neither killed nor explained: ${alive.length === 0 ? 'none.' : ''}`,
    ...alive,
    '',
    `Generated by \`node tools/figures.mjs render\` from ${reports.map(({ pkg }) => `\`${MUTATION_DIR}/${pkg}.incremental.json\``).join(', ')} (written by \`npx nx run <pkg>:mutate\`) and \`${MUTATION_DIR}/explained.json\`.`,
  ];
}

/** Markdown inline code that may itself hold backticks (CommonMark: a longer fence, padded). */
const codeSpan = (text) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

const lineOf = (source, { start }) => (typeof source === 'string' ? (source.split('\n')[start.line - 1] ?? '') : '');

/** The source text a mutant replaces (locations are 1-based lines, 1-based columns as Stryker writes them). */
function sourceAt(source, { start, end }) {
  if (typeof source !== 'string' || end === undefined) return undefined;
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n');
}

function mutationRow(name, c) {
  const detected = c.Killed + c.Timeout;
  const score = (undetected) => percent((100 * detected) / (detected + undetected));
  return `| ${name} | ${c.mutants} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.equivalent} | ${c.NoCoverage} | ${score(c.Survived + c.NoCoverage)} | ${score(c.Survived - c.equivalent + c.NoCoverage)} |`;
}

/** The committed Stryker baselines under `root`, by package name. */
export function readMutationReports(root = WORKSPACE) {
  const dir = path.join(root, MUTATION_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.incremental.json'))
    .sort()
    .map((f) => ({ pkg: f.slice(0, -'.incremental.json'.length), report: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) }));
}

/** reports/mutation/explained.json under `root`: { file: [{ mutator, replacement, why }] }. */
export function readExplained(root = WORKSPACE) {
  const file = path.join(root, MUTATION_DIR, 'explained.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

/** Pulls the JSON report out of a benchmark's stdout: the last block from a line `{` to a line `}`. */
export function extractReport(stdout) {
  const lines = stdout.split('\n');
  const end = lines.findLastIndex((l) => l === '}');
  const start = end < 0 ? -1 : lines.slice(0, end).findLastIndex((l) => l === '{');
  if (start < 0) throw new Error(`no JSON report in the benchmark's output; it ended with:\n${lines.slice(-10).join('\n')}`);
  return JSON.parse(lines.slice(start, end + 1).join('\n'));
}

/** Replaces the block of `table` in `text` with `body`; unchanged text if the block is absent. */
export function replaceBlock(text, table, body) {
  const open = `<!-- figures:${table} -->`;
  const close = `<!-- /figures:${table} -->`;
  const i = text.indexOf(open);
  if (i < 0) return text;
  const j = text.indexOf(close, i);
  if (j < 0) throw new Error(`${open} has no ${close} after it`);
  return `${text.slice(0, i + open.length)}\n${body.join('\n')}\n${text.slice(j)}`;
}

/**
 * The rendered body of `table` from recorded runs (each { name, report, machine, loadavg, date });
 * `missing` names the runs of a partial table not measured yet.
 */
export function renderTable(table, recorded, missing = []) {
  const spec = TABLES[table];
  if (!spec) throw new Error(`unknown table ${table}; tables are ${Object.keys(TABLES).join(', ')}`);
  const problems = recorded.flatMap(anchorProblems);
  if (problems.length) return withdrawn(table, recorded, problems);
  const notYet = missing.length ? ['', `Not measured yet: ${missing.map((m) => `\`${m}\``).join(', ')} (\`node tools/figures.mjs run ${missing.join(' ')}\` on a quiet machine).`] : [];
  return [...spec.render(recorded), ...notYet, '', provenance(recorded)];
}

function readRecorded(root, name) {
  const file = path.join(root, FIGURES_DIR, `${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/** Every README with its blocks rendered from the JSON present under `root`: [{ file, before, after }]. */
export function renderReadmes(root = WORKSPACE) {
  const out = [];
  for (const readme of READMES) {
    const file = path.join(root, readme);
    if (!existsSync(file)) continue;
    const before = readFileSync(file, 'utf8');
    let after = before;
    for (const [table, spec] of Object.entries(TABLES)) {
      const recorded = spec.runs.map((name) => readRecorded(root, name));
      const missing = spec.runs.filter((_, i) => recorded[i] === undefined);
      const present = recorded.filter((r) => r !== undefined);
      // Not measured yet (or, for a partial table, none of it): the block keeps its text.
      if (present.length === 0 || (missing.length > 0 && !spec.partial)) continue;
      after = replaceBlock(after, table, renderTable(table, present, missing));
    }
    const mutation = readMutationReports(root);
    if (mutation.length > 0) after = replaceBlock(after, MUTATION_TABLE, mutationTable(mutation, readExplained(root)));
    out.push({ file, before, after });
  }
  return out;
}

function writeAtomic(file, text) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    return line ? line.slice(line.indexOf(':') + 1).trim().split(/\s+/) : [];
  } catch {
    return [];
  }
}

function machine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU', cpuFlags: cpuFlags(), platform: `${os.platform()}/${os.arch()}`, node: process.versions.node };
}

/** Cores busy over the gate's sample, measured while this script sleeps. */
async function sampleBusyCores() {
  const before = os.cpus();
  await new Promise((ok) => setTimeout(ok, LOAD_GATE.sampleSeconds * 1000));
  return busyCores(before, os.cpus());
}

/** `run`'s own flags, then the names of the runs. */
export function parseRunArgs(argv) {
  const o = { maxBusyCores: LOAD_GATE.maxBusyCores, overridden: false, dir: null, extra: [], names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--max-busy') {
      const v = Number(value());
      if (!(v >= 0)) throw new Error(`--max-busy must be a number of cores ≥ 0, got ${argv[i]}`);
      o.maxBusyCores = v;
      o.overridden = true;
    } else if (a === '--dir') o.dir = value();
    else if (a === '--extra') o.extra = value().split(/\s+/).filter(Boolean);
    else if (a.startsWith('--')) throw new Error(`unknown flag ${a}; run takes --max-busy N, --dir D, --extra 'FLAGS' and run names (${RUNS.map((r) => r.name).join(', ')})`);
    else o.names.push(a);
  }
  const unknown = o.names.filter((n) => !RUNS.some((r) => r.name === n));
  if (unknown.length) throw new Error(`unknown run ${unknown.join(', ')}; runs are ${RUNS.map((r) => r.name).join(', ')}`);
  return o;
}

function runBench(run) {
  return new Promise((resolve, reject) => {
    const [project, target] = run.target.split(':');
    const args = ['nx', 'run', `${project}:${target}`, '--output-style=stream-without-prefixes', '--skip-nx-cache', ...(run.args.length ? ['--', ...run.args] : [])];
    process.stderr.write(`figures: npx ${args.join(' ')}\n`);
    const child = spawn('npx', args, { cwd: WORKSPACE, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${run.target} exited with ${code}`))));
  });
}

async function main(argv) {
  const [command = 'render', ...rest] = argv;
  if (command === 'run') {
    const o = parseRunArgs(rest);
    const dir = o.dir ? path.resolve(o.dir) : path.join(WORKSPACE, FIGURES_DIR);
    mkdirSync(dir, { recursive: true });
    const chosen = o.names.length ? RUNS.filter((r) => o.names.includes(r.name)) : RUNS;
    for (const spec of chosen) {
      const run = { ...spec, args: [...spec.args, ...o.extra] };
      const busy = await sampleBusyCores();
      const refusal = gateRefusal(run.name, busy, o.maxBusyCores, o.overridden);
      if (refusal) throw new Error(refusal);
      const before = os.loadavg()[0];
      const report = extractReport(await runBench(run));
      const recorded = {
        name: run.name,
        command: ['npx nx run', run.target, ...(run.args.length ? ['--', ...run.args] : [])].join(' '),
        machine: machine(),
        loadavg: [before, os.loadavg()[0]],
        gate: { busyCores: Number(busy.toFixed(3)), maxBusyCores: o.maxBusyCores, overridden: o.overridden, sampleSeconds: LOAD_GATE.sampleSeconds },
        date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        report,
      };
      writeAtomic(path.join(dir, `${run.name}.json`), JSON.stringify(recorded, null, 2) + '\n');
      process.stderr.write(`figures: wrote ${path.join(dir, `${run.name}.json`)}\n`);
    }
    if (o.dir) return; // a smoke run: the READMEs render from figures/ only
  } else if (command !== 'render' && command !== 'check') {
    throw new Error(`unknown command ${command}; use run [name ...], render or check`);
  }
  let stale = 0;
  for (const { file, before, after } of renderReadmes()) {
    if (before === after) continue;
    if (command === 'check') {
      stale++;
      process.stderr.write(`${path.relative(WORKSPACE, file)}: figures differ from ${FIGURES_DIR}/*.json (run node tools/figures.mjs render)\n`);
    } else {
      writeAtomic(file, after);
      process.stderr.write(`figures: wrote ${path.relative(WORKSPACE, file)}\n`);
    }
  }
  if (stale) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`figures: ${e.message}\n`);
    process.exitCode = 1;
  });
}
