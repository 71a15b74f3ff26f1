import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOAD_GATE, MUTATION_TABLE, READMES, RUNS, TABLES, WORKSPACE, anchorProblems, busyCores, extractReport, fenced, gateRefusal, generationTable, lighthouseTable, mutationTable, parallelTable, parseRunArgs, provenance, qualityTable, renderReadmes, renderTable, replaceBlock, servingTable, trainingTable, type Recorded } from './figures.mjs';

const machine = { cpus: 2, cpuModel: 'AMD EPYC 9R14', platform: 'linux/x64', node: '20.20.2' };
const recorded = (name: string, report: unknown, loadavg = [0.5, 0.9], date = '2026-12-01 10:00 UTC'): Recorded => ({ name, machine, loadavg, date, report });

const trainReport = (arch: string, ours: number, torch: unknown, rounds: (number | null)[] = [null, null, null], ratio: number | null = null, numLayers = 1) => ({
  engine: 'onnxruntime-node (cpu)',
  workers: 1,
  config: { arch, vocabSize: 55, embeddingDim: 42, hiddenSize: 256, numLayers, dropout: 0, batchSize: 64, bptt: 8 },
  charsPerSecond: ours,
  rounds: rounds.map((r) => ({ ratio: r })),
  ratio,
  pytorch: torch,
  peakRssMB: 201.4,
});

const generation = {
  model: { arch: 'gru', vocabSize: 55, embeddingDim: 42, hiddenSize: 256, numLayers: 1, graph: 'fused' },
  windows: 9,
  node_minimal_loop_chars_per_s: 25832,
  node_batch1_chars_per_s: 26269,
  wasm_batch1_chars_per_s: 19835,
  node_priming_chars_per_s: 126386,
  wasm_priming_chars_per_s: 43029,
  priming_speedup_vs_generation: 4.8,
  batch: 64,
  node_batch_aggregate_chars_per_s: 148539,
  batch_speedup_vs_batch1: 5.7,
};

describe('tables from benchmark JSON', () => {
  test('training: ours beside PyTorch at 1 and 2 threads, ratios computed, a skipped PyTorch noted', () => {
    const rows = trainingTable([
      recorded('train-gru', trainReport('gru', 40000, [{ threads: 1, charsPerSecond: 37800, charsPerCpuSecond: 39000 }, { threads: 2, charsPerSecond: 12400, charsPerCpuSecond: 9000 }], [1.1, 0.987, 1.2], 1.1)),
      recorded('train-rnn', trainReport('rnn', 90000, { note: 'skipped: /usr/bin/python3 or lesson.py not found' })),
      recorded('train-gru2', trainReport('gru', 20000, [{ threads: 1, charsPerSecond: 10000, charsPerCpuSecond: 10000 }], [2], 2, 2)),
    ]);
    expect(rows).toEqual([
      '| model | engine | ours, chars/s | PyTorch, 1 thread | ours / PyTorch 1 | PyTorch, 2 threads | ours / PyTorch 2 | ours / faster PyTorch, per round | peak RSS |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
      '| GRU e42 h256, bs 64, bptt 8 | onnxruntime-node (cpu), 1 thread | 40,000 | 37,800 | 1.06 | 12,400 | 3.23 | **1.10** (1.10, 0.99, 1.20) | 201 MB |',
      '| RNN e42 h256, bs 64, bptt 8 | onnxruntime-node (cpu), 1 thread | 90,000 | — | — | — | — | — | 201 MB |',
      '| GRU e42 h256 ×2, bs 64, bptt 8 | onnxruntime-node (cpu), 1 thread | 20,000 | 10,000 | 2.00 | — | — | **2.00** (2.00) | 201 MB |',
      '',
      'Medians of 3 rounds, each ours then PyTorch back to back on the same config. PyTorch skipped: /usr/bin/python3 or lesson.py not found.',
    ]);
  });

  test('data-parallel: one worker beside N, the per-round speed-ups as measured, PyTorch at N threads', () => {
    const report = {
      ...trainReport('gru', 90000, [{ threads: 1, charsPerSecond: 50000, charsPerCpuSecond: 50000 }, { threads: 2, charsPerSecond: 60000, charsPerCpuSecond: 31000 }], [1.5, 1.6, 1.4], 1.5),
      engine: 'onnxruntime-node (cpu, 2 data-parallel workers)',
      workers: 2,
      scaling: { workers: 2, oneWorker: 50000, ratio: 1.8, rounds: [1.8, 1.75, 1.813] },
    };
    expect(parallelTable([recorded('train-gru-parallel', report)])).toEqual([
      '| model | one worker, chars/s | 2 workers, chars/s | 2 workers / one, per round | target | PyTorch, 2 threads | ours, 2 workers / PyTorch, 2 threads |',
      '|---|---:|---:|---:|---|---:|---:|',
      '| GRU e42 h256, bs 64, bptt 8 | 50,000 | 90,000 | **1.80** (1.80, 1.75, 1.81) | ≥ 1.7 on 2 cores | 60,000 | 1.50 |',
      '',
      'Medians of 3 rounds, each one worker, then 2 workers, then PyTorch, back to back on the same batches (the engine: onnxruntime-node (cpu, 2 data-parallel workers)).',
    ]);
  });

  test('generation: every figure of the infer-web report with its target', () => {
    expect(generationTable([recorded('generation', generation)])).toEqual([
      '| figure | chars/s | target |',
      '|---|---:|---|',
      '| onnxruntime-node, minimal loop on its public API (no infer-web code) | 25,832 | |',
      '| batch-1, onnxruntime-node (CPU) | 26,269 | ≥ 25,000 |',
      '| batch-1, onnxruntime-web (wasm, in Node) | 19,835 | ≥ 12,000 |',
      '| priming a 1,000-char prompt (node) | 126,386 = 4.80× generation | ≥ 20× |',
      '| priming (wasm) | 43,029 | |',
      '| batch-64 aggregate (node) | 148,539 = 5.70× batch-1 | ≥ 10× |',
      '',
      'Model: GRU embed 42, hidden 256, vocab 55, fused graph; medians of 9 windows.',
    ]);
  });

  test('serving: one row per client count', () => {
    const phase = (clients: number, cps: number) => ({ clients, seconds: 8, requests: 40, completed: 38, errors: 0, error_samples: [], chars_per_s: cps, chars_per_chunk: 45.5, char_latency_ms: { p50: 4.4, p99: 15.5 }, first_char_ms: { p50: 8.2, p99: 16.3 }, server_rss_mb: 132.2 });
    const rows = servingTable([recorded('serving', { max_tokens: 2000, flush_interval_ms: 4, large_run_threads: 1, phases: [phase(1, 8761), phase(64, 43598)], inprocess_batch1_chars_per_s: 16568.4, ratios: { streams64_vs_1: 4.976, http1_vs_inprocess_batch1: 0.5288 } })]);
    expect(rows.slice(2)).toEqual([
      '| 1 | 8,761 | 45.5 | 4.4 / 15.5 ms | 8.2 / 16.3 ms | 40 (38, 0) | 132 MB |',
      '| 64 | 43,598 | 45.5 | 4.4 / 15.5 ms | 8.2 / 16.3 ms | 40 (38, 0) | 132 MB |',
      '',
      'max_tokens 2000, flush interval 4 ms, large-run threads 1; 64 streams / 1 stream: 4.98×; one HTTP+SSE stream / in-process batch-1 (16,568 chars/s, median of the runs before and after): 0.53×.',
    ]);
  });

  test("lighthouse: each category's median beside its target, met or not, the metrics and settings, then what failed", () => {
    const run = (performance: number, accessibility: number, bestPractices: number, benchmarkIndex: number) => ({ scores: { performance, accessibility, 'best-practices': bestPractices }, benchmarkIndex });
    const report = {
      chromium: 'Chromium 156.0.8078.114',
      brotliQuality: 9,
      settings: { lighthouse: '12.2.3', formFactor: 'mobile', throttlingMethod: 'simulate', rttMs: 150, throughputKbps: 1638.4, cpuSlowdownMultiplier: 4, screen: { width: 412, height: 823, deviceScaleFactor: 1.75 } },
      targets: { performance: 90, accessibility: 95, 'best-practices': 95 },
      scores: { performance: 91, accessibility: 100, 'best-practices': 92 },
      metrics: { 'first-contentful-paint': 1065.8, 'largest-contentful-paint': 1234, 'total-blocking-time': 151.5, 'cumulative-layout-shift': 0.0012, 'speed-index': 1870.9 },
      runs: [run(89, 100, 92, 1510.2), run(91, 100, 92, 1620), run(93, 100, 96, 1702.7)],
      failing: [{ category: 'best-practices', id: 'deprecations', title: 'Uses deprecated APIs', runs: 2, displayValue: '1 warning found' }],
    };
    expect(lighthouseTable([recorded('demo-lighthouse', report)])).toEqual([
      '| category | score (median) | each run | target |',
      '|---|---:|---|---|',
      '| performance | **91** | 89, 91, 93 | ≥ 90 ✓ |',
      '| accessibility | **100** | 100, 100, 100 | ≥ 95 ✓ |',
      '| best practices | **92** | 92, 92, 96 | ≥ 95 ✗ |',
      '',
      'Medians of 3 runs: first contentful paint 1.1 s, largest contentful paint 1.2 s, total blocking time 152 ms, cumulative layout shift 0.001, speed index 1.9 s. ' +
        'Lighthouse 12.2.3 with its defaults: a mobile screen (412×823 at 1.75×), simulate throttling (150 ms round trips, 1.6 Mbit/s, CPU ×4), Chromium 156.0.8078.114, headless; ' +
        "the demo page as `nx run infer-web:demo` serves it (brotli 9). Lighthouse's benchmark index of the machine per run: 1,510, 1,620, 1,703.",
      '',
      'Audits that count in a score and did not pass:',
      '- best practices: Uses deprecated APIs (1 warning found), in 2 of 3 runs',
    ]);
    expect(lighthouseTable([recorded('demo-lighthouse', { ...report, failing: [] })]).at(-1)).toBe('Every audit that counts in these scores passed in every run.');
  });

  test('quality: one row per model and budget, the lowest held-out loss of each budget in bold, then every sample fenced', () => {
    const model = (name: string, valLoss: number, extra: object = {}) => ({
      model: name,
      recipe: `${name} | recipe`,
      params: 812_345.4,
      charsTrained: 1_234_567,
      valLoss,
      ownValLoss: valLoss + 0.01,
      wallSeconds: 181.6,
      unknown: 0,
      context: 'stateful',
      prompt: '/*\n** 2001',
      sample: `${name} says\n\`\`\`x`,
      temperature: 0.8,
      ...extra,
    });
    const report = (minutes: number, models: unknown[]) => ({
      corpus: { name: 'c', file: 'tools/c.txt', sha256: 'abcdef0123456789', chars: 1000, trainChars: 900, validChars: 100 },
      split: "nanoGPT's",
      minutes,
      threads: 2,
      evaluator: 'one evaluator',
      models,
      phases: [{ phase: 'ours', loadavg: [1.04, 1.96], seconds: 180 }],
      anchor: { torch: '1.13.0a0', blas: '/usr/lib/openblas-pthread/libblas.so.3', blasKind: 'OpenBLAS', lessonGruCharsPerCpuSecond: 52123.4, floor: 15000 },
    });
    const rows = qualityTable([
      recorded('quality-c-3m', report(3, [model('ours', 1.51234), model('nanoGPT', 1.6, { unknown: 3, wallSeconds: 59.4 })])),
      recorded('quality-c-10m', report(10, [model('ours', 1.41), model('PyTorch RNN', 1.40004, { ownValChars: 20000, wallSeconds: 179.7 })])),
    ]);
    expect(rows.slice(0, 6)).toEqual([
      '| budget | model | recipe | params | chars trained | **val loss** (nats/char) | its own val loss | wall time |',
      '|---:|---|---|---:|---:|---:|---:|---:|',
      '| 3 min | ours | ours \\| recipe | 812,345 | 1,234,567 | **1.5123** | 1.5223 | 3 min 2 s |',
      '| 3 min | nanoGPT | nanoGPT \\| recipe | 812,345 | 1,234,567 | 1.6000 (3 chars unknown to it) | 1.6100 | 59 s |',
      '| 10 min | ours | ours \\| recipe | 812,345 | 1,234,567 | 1.4100 | 1.4200 | 3 min 2 s |',
      '| 10 min | PyTorch RNN | PyTorch RNN \\| recipe | 812,345 | 1,234,567 | **1.4000** | 1.4100 | 3 min 0 s |',
    ]);
    expect(rows[7]).toMatch(/^Corpus `tools\/c\.txt` \(1,000 characters, sha256 abcdef012345…\)\. Split: nanoGPT's: 900 train, 100 held out\. Val loss: one evaluator; ours stateful; nanoGPT stateful; PyTorch RNN stateful\. Its own val loss is what each tool reported for the weights it kept: ours over its validation streams of the held-out text; nanoGPT the mean of random 64-character windows of it; the RNN over 16 stateful streams of its first 20,000 characters\. Each model had 2 threads and the budget, trained one after another; load average per phase: 3 min ours 1\.0–2\.0; 10 min ours 1\.0–2\.0\. PyTorch 1\.13\.0a0 multiplied with OpenBLAS \(`\/usr\/lib\/openblas-pthread\/libblas\.so\.3`\); train:bench's anchor check passed \(lesson GRU at 1 thread: 52,123 chars per CPU-second, floor 15,000\)\.$/);
    expect(rows.slice(8, 22)).toEqual([
      '',
      "Samples after 3 min (temperature 0.8, after the held-out text's first 10 characters):",
      '',
      '```text',
      '/*',
      '** 2001',
      '```',
      '',
      'ours:',
      '',
      '````text',
      'ours says',
      '```x',
      '````',
    ]);
    expect(rows.filter((r) => r.startsWith('Samples after'))).toHaveLength(2);
    const given = report(3, [model('ours', 1.5)]);
    given.anchor.floor = 5000;
    Object.assign(given.anchor, { floorGiven: true });
    expect(qualityTable([recorded('quality-c-3m', given)])[4]).toMatch(/lesson GRU at 1 thread: 52,123 chars per CPU-second, floor 5,000 given with --pytorch-floor\)\.$/);
  });

  test('fenced: a fence longer than any run of backticks in the text', () => {
    expect(fenced('a')).toEqual(['```text', 'a', '```']);
    expect(fenced('a ````` b\n``')).toEqual(['``````text', 'a ````` b', '``', '``````']);
  });

  test('the provenance line names the files, machine, load range and dates', () => {
    expect(provenance([recorded('train-gru', {}, [1.5, 2.25], '2026-12-01 10:00 UTC'), recorded('train-rnn', {}, [0.75, 1], '2026-12-01 10:09 UTC')])).toBe(
      'Generated by `node tools/figures.mjs` from `figures/train-gru.json`, `figures/train-rnn.json`: 2 × AMD EPYC 9R14, linux/x64, Node 20.20.2; ' +
        '1-minute load average 0.75–2.25 (before and after each run); 2026-12-01 10:00 UTC to 2026-12-01 10:09 UTC.',
    );
  });
});

describe('figures that cannot mislead', () => {
  const lessonGru = { arch: 'gru', vocabSize: 55, embeddingDim: 42, hiddenSize: 256, numLayers: 1, dropout: 0, batchSize: 64, bptt: 8 };
  const torch = [{ threads: 1, charsPerSecond: 50000, charsPerCpuSecond: 51000 }, { threads: 2, charsPerSecond: 60000, charsPerCpuSecond: 31000 }];
  const anchor = (blasKind: string, charsPerCpuSecond: number | null) => ({
    torch: '1.13.0a0',
    blas: blasKind === 'OpenBLAS' ? '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3' : '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3',
    blasKind,
    floor: { cpuClass: 'x86-64 with AVX-512', charsPerCpuSecond: 15000, source: 's', explicit: false },
    lessonGru: { charsPerSecond: 50000, charsPerCpuSecond },
  });
  const bench = (extra: Record<string, unknown>) => ({ ...trainReport('gru', 80000, torch, [1.3], 1.3), config: lessonGru, ...extra });

  test('a training figure is shown beside PyTorch only with a sound anchor recorded; every failure is named', () => {
    expect(anchorProblems(recorded('train-gru', bench({ anchor: anchor('OpenBLAS', 52000) })))).toEqual([]);
    // No PyTorch figure, nothing to anchor.
    expect(anchorProblems(recorded('train-rnn', trainReport('rnn', 90000, { note: 'skipped' })))).toEqual([]);
    expect(anchorProblems(recorded('train-gru', bench({ anchor: anchor('reference BLAS', 3900) })))).toEqual([
      '`figures/train-gru.json`: PyTorch multiplied with reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3)',
      '`figures/train-gru.json`: PyTorch trained the lesson GRU at 3,900 chars per CPU-second on 1 thread, under the floor of 15,000',
    ]);
    expect(anchorProblems(recorded('train-gru', bench({ anchor: anchor('OpenBLAS', null) })))).toEqual([
      '`figures/train-gru.json`: PyTorch trained the lesson GRU at — chars per CPU-second on 1 thread, under the floor of 15,000',
    ]);
    // The committed figures' shape: no anchor; the lesson GRU's per-round PyTorch speeds are quoted.
    const rounds = [9420, 12352].map((cps) => ({ ratio: 2.5, pytorch: [{ threads: 1, result: { charsPerCpuSecond: cps } }, { threads: 2, result: { charsPerCpuSecond: 7000 } }] }));
    expect(anchorProblems(recorded('train-gru', bench({ rounds })))).toEqual([
      '`figures/train-gru.json` (2026-12-01 10:00 UTC) was measured before train:bench checked its PyTorch anchor: no BLAS, thread sizing or floor run is recorded; its PyTorch trained the lesson GRU at 9,420, 12,352 chars per CPU-second on 1 thread (one per round)',
    ]);
  });

  test('renderTable withdraws a table when any of its figures fails, and shows it when all pass', () => {
    const good = recorded('train-gru', bench({ anchor: anchor('OpenBLAS', 52000) }));
    const bad = recorded('train-lstm', { ...bench({ anchor: anchor('OpenBLAS', 9400) }), config: { ...lessonGru, arch: 'lstm' } });
    const shown = renderTable('training-speed', [good]);
    expect(shown[2]).toMatch(/^\| GRU e42 h256, bs 64, bptt 8 \| onnxruntime-node \(cpu\), 1 thread \| 80,000 \| 50,000 \| 1\.60 \|/);
    const body = renderTable('training-speed', [good, bad]);
    expect(body.join('\n')).not.toMatch(/80,000|1\.60|\| GRU/);
    expect(body[0]).toMatch(/^\*\*Withdrawn\.\*\* The training-speed figures are not shown: their PyTorch reference fails the anchor check/);
    expect(body).toContain('- `figures/train-lstm.json`: PyTorch trained the lesson GRU at 9,400 chars per CPU-second on 1 thread, under the floor of 15,000.');
    expect(body.at(-1)).toBe('`node tools/figures.mjs run train-gru train-lstm` on a quiet machine measures them again.');
  });

  test('the provenance line gives the vector flags and the load gate, and says when the gate was overridden', () => {
    const flags = ['fpu', 'sse4_2', 'fma', 'avx', 'avx2', 'avx512f', 'amx_tile'];
    const gate = (busyCores: number, maxBusyCores: number, overridden: boolean) => ({ busyCores, maxBusyCores, overridden, sampleSeconds: 5 });
    const withFlags = (name: string, g: ReturnType<typeof gate>): Recorded => ({ ...recorded(name, {}), machine: { ...machine, cpuFlags: flags }, gate: g });
    expect(provenance([withFlags('train-gru', gate(0.05, 0.5, false)), withFlags('train-rnn', gate(0.2, 0.5, false))])).toBe(
      'Generated by `node tools/figures.mjs` from `figures/train-gru.json`, `figures/train-rnn.json`: 2 × AMD EPYC 9R14, flags avx512f amx_tile avx2 fma avx sse4_2, linux/x64, Node 20.20.2; ' +
        '1-minute load average 0.50–0.90 (before and after each run); 0.05–0.20 cores busy before each run (gate 0.5); 2026-12-01 10:00 UTC.',
    );
    expect(provenance([withFlags('train-gru', gate(0.05, 0.5, false)), withFlags('train-rnn', gate(1.7, 3, true))])).toContain('0.05–1.70 cores busy before each run (**load gate overridden**: --max-busy 3 for 1 of 2 runs)');
  });

  test('the load gate: cores busy from two os.cpus() snapshots; a refusal above the threshold says how to override', () => {
    const t = (user: number, idle: number) => ({ times: { user, nice: 0, sys: 0, idle, irq: 0 } });
    // CPU 0: 750 of 1000 ms busy; CPU 1: 250 of 1000 ms.
    expect(busyCores([t(100, 100), t(0, 0)], [t(850, 350), t(250, 750)])).toBeCloseTo(1.0, 10);
    expect(busyCores([t(0, 0)], [t(0, 1000)])).toBe(0);
    expect(LOAD_GATE.maxBusyCores).toBe(0.5);
    expect(gateRefusal('train-gru', 0.5, 0.5, false)).toBeNull();
    expect(gateRefusal('train-gru', 1.234, 0.5, false)).toBe(
      'refusing to run train-gru: 1.23 CPU cores were busy over a 5 s sample, above the threshold of 0.5 (other work distorts both sides of a ratio unevenly). ' +
        'Wait for a quiet machine, or pass --max-busy N to run anyway; the figure then records the override',
    );
    expect(gateRefusal('train-gru', 3.5, 3, true)).toMatch(/above the threshold of 3 .*\(--max-busy 3 was given\)$/);
  });

  test("run's flags: an explicit --max-busy is recorded as an override; unknown flags and runs are refused", () => {
    expect(parseRunArgs([])).toEqual({ maxBusyCores: 0.5, overridden: false, dir: null, extra: [], names: [] });
    expect(parseRunArgs(['--max-busy', '2', '--dir', '/tmp/f', '--extra', '--rounds 1  --windows 1', 'train-gru', 'serving'])).toEqual({
      maxBusyCores: 2,
      overridden: true,
      dir: '/tmp/f',
      extra: ['--rounds', '1', '--windows', '1'],
      names: ['train-gru', 'serving'],
    });
    expect(() => parseRunArgs(['--max-busy', 'lots'])).toThrow('--max-busy must be a number of cores ≥ 0, got lots');
    expect(() => parseRunArgs(['--max-busy'])).toThrow('--max-busy needs a value');
    expect(() => parseRunArgs(['--force'])).toThrow(/^unknown flag --force; run takes --max-busy N/);
    expect(() => parseRunArgs(['train-gpu'])).toThrow(/^unknown run train-gpu; runs are train-gru, /);
  });
});

describe('mutation scores from Stryker reports', () => {
  // Every line of the sources reads `x = a < b;`: each mutant replaces the `a < b` at columns 5–10.
  const source = Array.from({ length: 10 }, () => 'x = a < b;').join('\n');
  const mutant = (line: number, status: string, replacement = 'a <=\n b') => ({
    mutatorName: 'EqualityOperator',
    replacement,
    status,
    location: { start: { line, column: 5 }, end: { line, column: 10 } },
  });
  const report = {
    files: {
      'packages/p/src/b.ts': { source, mutants: [mutant(9, 'Killed'), mutant(2, 'Survived', 'c <= cols'), mutant(4, 'Timeout'), mutant(5, 'CompileError')] },
      'packages/p/src/a.ts': { source, mutants: [mutant(1, 'Killed'), mutant(3, 'Killed'), mutant(7, 'NoCoverage'), mutant(8, 'Survived', 'c <= cols'), mutant(6, 'Killed', 'c <= cols')] },
    },
  };
  // Explained for a.ts only, and only with the original text it replaces.
  const explained = {
    'packages/p/src/a.ts': [
      { mutator: 'EqualityOperator', original: 'a < b', replacement: 'c <= cols', why: 'an out-of-range typed-array write is a no-op' },
      { mutator: 'EqualityOperator', original: 'a > b', replacement: 'a <= b', why: 'not this one' },
      { mutator: 'EqualityOperator', original: 'a < b', replacement: 'a <=\n b', within: 'y =', why: 'nor this one' },
      { mutator: 'EqualityOperator', original: 'a < b', replacement: 'a <=\n b', line: 6, why: 'nor this one, on line 6 only' },
    ],
  };

  test('a score per module and per package, (killed + timed out) / (those + survived + no coverage), and without the explained; every live mutant listed', () => {
    expect(mutationTable([{ pkg: 'p', report }], explained)).toEqual([
      '| module | mutants | killed | timed out | survived | of which equivalent | no coverage | score | score without the equivalent |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      '| p: a.ts | 5 | 3 | 0 | 1 | 1 | 1 | 60.0% | 75.0% |',
      '| p: b.ts | 3 | 1 | 1 | 1 | 0 | 0 | 66.7% | 66.7% |',
      '| **p, all** | 8 | 4 | 1 | 2 | 1 | 1 | 62.5% | 71.4% |',
      '',
      'Surviving mutants that are equivalent (no test can tell them from the code): ',
      '- `packages/p/src/a.ts:8` EqualityOperator → `c <= cols`: an out-of-range typed-array write is a no-op',
      '',
      'Mutants neither killed nor explained: ',
      '- `packages/p/src/a.ts:7` EqualityOperator → `a <= b` (no test covers it)',
      '- `packages/p/src/b.ts:2` EqualityOperator → `c <= cols` (survived)',
      '',
      'Generated by `node tools/figures.mjs render` from `reports/mutation/p.incremental.json` (written by `npx nx run <pkg>:mutate`) and `reports/mutation/explained.json`.',
    ]);
  });

  test('a package with one module has no total row; nothing alive says none', () => {
    const rows = mutationTable([{ pkg: 'q', report: { files: { 'packages/q/src/c.ts': { source, mutants: [mutant(1, 'Killed')] } } } }]);
    expect(rows.slice(2, 7)).toEqual([
      '| q: c.ts | 1 | 1 | 0 | 0 | 0 | 0 | 100.0% | 100.0% |',
      '',
      'Surviving mutants that are equivalent (no test can tell them from the code): none.',
      '',
      'Mutants neither killed nor explained: none.',
    ]);
  });

  test('the root README holds the mutation block', async () => {
    const readme = await readFile(path.join(WORKSPACE, 'README.md'), 'utf8');
    expect(readme.indexOf(`<!-- figures:${MUTATION_TABLE} -->`)).toBeGreaterThan(0);
    expect(readme.indexOf(`<!-- /figures:${MUTATION_TABLE} -->`)).toBeGreaterThan(readme.indexOf(`<!-- figures:${MUTATION_TABLE} -->`));
  });
});

describe('README blocks', () => {
  test('extractReport takes the JSON report out of nx output around it', () => {
    const out = '\n> nx run train:bench\n\n> node packages/train/dist-bench/cli.js\n{\n  "charsPerSecond": 5,\n  "nested": {\n    "a": [1, 2]\n  }\n}\n\n NX   Successfully ran target bench\n';
    expect(extractReport(out)).toEqual({ charsPerSecond: 5, nested: { a: [1, 2] } });
    expect(() => extractReport('error: no torch\n')).toThrow(/no JSON report in the benchmark's output; it ended with:\nerror: no torch/);
  });

  test('replaceBlock replaces only between the markers; an unclosed block is an error', () => {
    const text = 'intro\n<!-- figures:t -->\nold\ntable\n<!-- /figures:t -->\noutro\n';
    expect(replaceBlock(text, 't', ['new'])).toBe('intro\n<!-- figures:t -->\nnew\n<!-- /figures:t -->\noutro\n');
    expect(replaceBlock(text, 'other', ['new'])).toBe(text);
    expect(() => replaceBlock('<!-- figures:t -->\nno end', 't', ['x'])).toThrow('<!-- figures:t --> has no <!-- /figures:t --> after it');
  });

  test('renderReadmes fills the blocks whose JSON exists and leaves the others as they are', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'charrnn-figures-'));
    try {
      const readme = '# x\n<!-- figures:generation-speed -->\nhand table\n<!-- /figures:generation-speed -->\n<!-- figures:training-speed -->\nhand training table\n<!-- /figures:training-speed -->\n';
      await writeFile(path.join(root, 'README.md'), readme);
      await mkdir(path.join(root, 'figures'));
      await writeFile(path.join(root, 'figures', 'generation.json'), JSON.stringify(recorded('generation', generation)));
      const [result] = renderReadmes(root);
      expect(result.before).toBe(readme);
      const body = renderTable('generation-speed', [recorded('generation', generation)]);
      expect(result.after).toBe(`# x\n<!-- figures:generation-speed -->\n${body.join('\n')}\n<!-- /figures:generation-speed -->\n<!-- figures:training-speed -->\nhand training table\n<!-- /figures:training-speed -->\n`);
      expect(body.at(-1)).toMatch(/^Generated by `node tools\/figures\.mjs` from `figures\/generation\.json`: 2 × AMD EPYC 9R14/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a quality table renders the budgets measured so far and names the others; a speed table waits for all its runs', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'charrnn-figures-'));
    try {
      const readme = '<!-- figures:quality-sqlite3 -->\nhand\n<!-- /figures:quality-sqlite3 -->\n<!-- figures:training-speed -->\nhand training table\n<!-- /figures:training-speed -->\n';
      await writeFile(path.join(root, 'README.md'), readme);
      await mkdir(path.join(root, 'figures'));
      const model = { model: 'ours', recipe: 'r', params: 1, charsTrained: 2, valLoss: 1.5, ownValLoss: 1.5, wallSeconds: 180, unknown: 0, context: 'stateful', prompt: 'p', sample: 's', temperature: 0.8 };
      const report = { corpus: { name: 'sqlite3.h', file: 'c', sha256: 'abcdef0123456789', chars: 10, trainChars: 9, validChars: 1 }, split: "nanoGPT's", minutes: 3, threads: 2, evaluator: 'e', models: [model], phases: [{ phase: 'ours', loadavg: [1, 1], seconds: 180 }] };
      const three = recorded('quality-sqlite3-3m', report);
      await writeFile(path.join(root, 'figures', 'quality-sqlite3-3m.json'), JSON.stringify(three));
      await writeFile(path.join(root, 'figures', 'train-gru.json'), JSON.stringify(recorded('train-gru', {})));
      const [result] = renderReadmes(root);
      const body = renderTable('quality-sqlite3', [three], ['quality-sqlite3-10m']);
      expect(body).toContain('Not measured yet: `quality-sqlite3-10m` (`node tools/figures.mjs run quality-sqlite3-10m` on a quiet machine).');
      expect(body.slice(0, -4)).toEqual(qualityTable([three]));
      expect(result.after).toBe(`<!-- figures:quality-sqlite3 -->\n${body.join('\n')}\n<!-- /figures:quality-sqlite3 -->\n<!-- figures:training-speed -->\nhand training table\n<!-- /figures:training-speed -->\n`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test("every table has a block in this repository's READMEs, and every run feeds a table", async () => {
    const texts = await Promise.all(READMES.map((f) => readFile(path.join(WORKSPACE, f), 'utf8')));
    for (const table of Object.keys(TABLES)) {
      const holders = texts.filter((t) => t.includes(`<!-- figures:${table} -->`));
      expect({ table, hasBlock: holders.length > 0 }).toEqual({ table, hasBlock: true });
      for (const t of holders) expect(t.indexOf(`<!-- /figures:${table} -->`)).toBeGreaterThan(t.indexOf(`<!-- figures:${table} -->`));
    }
    const used = new Set(Object.values(TABLES).flatMap((t) => t.runs));
    expect(RUNS.map((r) => r.name).filter((n) => !used.has(n))).toEqual([]);
  });

  test("the READMEs' generated tables are what figures/*.json renders (no hand edits inside a block)", () => {
    const drifted = renderReadmes().filter((r) => r.before !== r.after).map((r) => path.relative(WORKSPACE, r.file));
    expect(drifted).toEqual([]);
  });
});
