import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { prepareCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { ortNodeEngine, selectBackend, type Arch, type BackendChoice, type EngineFactory, type ModelConfig, type OrtDevice } from '@charrnn/train';
import { ParallelGradients, fastLossAndGradients, lossAndGradients, tfjsEngine } from '@charrnn/train/tfjs';
import { median, measureThroughput, type Throughput } from './throughput.js';
import { pytorchAvailable, runPytorch, type PytorchResult } from './pytorch.js';
import { AnchorError, FLOORS, FLOOR_BATCHES, LESSON_GRU, anchorProblems, blasKind, cpuFlags, floorFor, floorProblem, type BlasKind, type Floor } from './anchor.js';

export type GradientsImpl = 'fast' | 'reference';
export type BenchEngine = 'ort' | 'tfjs';

export interface BenchOptions {
  engine: BenchEngine;
  arch: Arch;
  embed: number;
  hidden: number;
  layers: number;
  batchSize: number;
  bptt: number;
  /** Threads computing each batch, data-parallel over its streams (ort: worker threads on the CPU; tfjs: gradient threads). */
  workers: number;
  /** ort: intra-op threads of each session. */
  threads: number;
  /**
   * With `workers` > 1: each round also measures one worker just before, on the same batches, so
   * that the data-parallel speed-up is a ratio of back-to-back runs (report.scaling).
   */
  scaling?: boolean;
  /** ort only. */
  device: OrtDevice;
  /** tfjs only. */
  impl: GradientsImpl;
  backend: BackendChoice;
  /** Corpus path; undefined = the embedded one (whose file PyTorch is then given). */
  corpus?: string;
  warmupBatches: number;
  windows: number;
  batchesPerWindow: number;
  /** Rounds of (ours, PyTorch at each thread count), run one after the other so all see the same machine load. */
  rounds: number;
  /**
   * The PyTorch reference; null = don't run it. `floor` overrides the floor of this CPU class
   * (chars per CPU-second of the lesson GRU at 1 thread); `floorCorpus` is the embedded corpus the
   * floor is measured on.
   */
  pytorch: { python: string; script: string; corpusFile: string; maxBatches: number; threads: number[]; floor?: number; floorCorpus: string } | null;
  seed: number;
}

interface PytorchRound {
  threads: number;
  result: PytorchResult;
}

export interface BenchReport {
  engine: string;
  engineLog: string[];
  /** tfjs engine on wasm: the binary tfjs loaded and XNNPACK's thread count. */
  wasm: { binary: string; threads: number } | null;
  config: ModelConfig & { batchSize: number; bptt: number };
  workers: number;
  /** ort: intra-op threads of each session. */
  threads: number;
  /** Median over rounds of our median-of-windows chars/s. */
  charsPerSecond: number;
  rounds: { ours: Throughput; oneWorker?: Throughput; pytorch: PytorchRound[]; ratio: number | null }[];
  /**
   * With `scaling`: one worker's median chars/s, and the median over rounds of `workers` workers'
   * chars/s / one worker's in the same round (with each round's ratio); null otherwise.
   */
  scaling: { workers: number; oneWorker: number; ratio: number; rounds: number[] } | null;
  /** PyTorch's median chars/s (per wall second, and per second of its CPU time) at each thread count. */
  pytorch: { threads: number; charsPerSecond: number; charsPerCpuSecond: number | null }[] | { note: string } | null;
  /** Median over rounds of ours / the faster PyTorch of that round, each measured back to back. */
  ratio: number | null;
  /** Why PyTorch is a fair anchor: its BLAS, and the lesson GRU at 1 thread against this CPU class's floor. */
  anchor: PytorchAnchorReport | null;
  peakRssMB: number;
  loadAverage: { before: number[]; after: number[] };
  cpus: number;
  date: string;
}

export interface PytorchAnchorReport {
  torch: string;
  blas: string | null;
  blasKind: BlasKind;
  floor: Floor & { explicit: boolean };
  lessonGru: { charsPerSecond: number; charsPerCpuSecond: number | null };
}


/**
 * Runs the lesson GRU on PyTorch at 1 thread and checks its BLAS, thread sizing and speed against
 * the floor; throws an AnchorError naming every problem, so that no ratio is reported against a
 * crippled reference (also tools/quality.mjs's check before it trains PyTorch models).
 */
export async function checkAnchor(pytorch: Pick<NonNullable<BenchOptions['pytorch']>, 'python' | 'script' | 'floor' | 'floorCorpus'>, log: (line: string) => void): Promise<PytorchAnchorReport> {
  const known = floorFor(cpuFlags());
  const floor = pytorch.floor !== undefined ? { cpuClass: 'this CPU', charsPerCpuSecond: pytorch.floor, source: 'given with --pytorch-floor', explicit: true } : known && { ...known, explicit: false };
  if (!floor) {
    throw new AnchorError(
      `no PyTorch floor is known for this CPU class (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}; floors exist for ${FLOORS.map((f) => f.cpuClass).join(', ')}), so a ratio against PyTorch cannot be checked: ` +
        'pass --pytorch-floor <chars per CPU-second of the lesson GRU at 1 thread> measured with a PyTorch you trust, or --no-pytorch',
    );
  }
  const run = await runPytorch({ ...pytorch, ...LESSON_GRU, corpus: pytorch.floorCorpus, maxBatches: FLOOR_BATCHES, threads: 1 });
  log(`anchor: pytorch lesson GRU, 1 thread: ${run.line}`);
  const problems = [...anchorProblems(run.anchor, 1), ...[floorProblem(run.charsPerCpuSecond, floor)].filter((p): p is string => p !== null)];
  if (problems.length) throw new AnchorError(`the PyTorch reference is not a fair anchor, so no figure is written: ${problems.join('; ')}`);
  return { torch: run.anchor!.torch, blas: run.anchor!.blas, blasKind: blasKind(run.anchor!), floor, lessonGru: { charsPerSecond: run.charsPerSecond, charsPerCpuSecond: run.charsPerCpuSecond } };
}

async function engineFor(o: BenchOptions, config: ModelConfig): Promise<{ name: string; log: string[]; factory: EngineFactory; wasm: BenchReport['wasm']; dispose?: () => Promise<void> }> {
  if (o.engine === 'ort') {
    const ort = await ortNodeEngine({ device: o.device, threads: o.threads, workers: o.workers });
    const parallel = ort.provider === 'cpu' && o.workers > 1 ? `, ${o.workers} data-parallel workers` : '';
    return { name: `onnxruntime-node (${ort.provider}${parallel})`, log: ort.log, factory: ort.factory, wasm: null };
  }
  const backend = await selectBackend(o.backend);
  let wasm: BenchReport['wasm'] = null;
  if (backend.name === 'wasm') {
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
    const { getThreadsCount } = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount: () => number };
    wasm = { binary: `tfjs-backend-wasm${threaded && simd ? '-threaded-simd' : simd ? '-simd' : ''}.wasm`, threads: getThreadsCount() };
  }
  if (o.workers > 1 && o.impl !== 'fast') throw new Error(`--workers ${o.workers} needs --impl fast (the reference runs on one thread)`);
  const parallel = o.workers > 1 ? await ParallelGradients.create(config, { parts: o.workers, backend: backend.name, maxBatchSize: o.batchSize }) : null;
  const gradients = parallel ? parallel.lossAndGradients : o.impl === 'fast' ? fastLossAndGradients : lossAndGradients;
  return { name: `tfjs (${backend.name})`, log: backend.log, factory: tfjsEngine({ gradients }), wasm, dispose: parallel ? () => parallel.dispose() : undefined };
}

function scalingOf(rounds: BenchReport['rounds'], workers: number): BenchReport['scaling'] {
  const paired = rounds.flatMap((r) => (r.oneWorker ? [{ one: r.oneWorker.charsPerSecond, ratio: r.ours.charsPerSecond / r.oneWorker.charsPerSecond }] : []));
  if (paired.length === 0) return null;
  return { workers, oneWorker: median(paired.map((p) => p.one)), ratio: median(paired.map((p) => p.ratio)), rounds: paired.map((p) => p.ratio) };
}

/** The whole `train:bench` command: engine, corpus, then rounds of our throughput and PyTorch's. */
export async function runBench(o: BenchOptions, log: (line: string) => void): Promise<BenchReport> {
  if (o.scaling && o.workers < 2) throw new Error(`--scaling compares --workers N with one worker: it needs --workers 2 or more (got ${o.workers})`);
  const loadBefore = os.loadavg();
  const loaded = await loadCorpus(o.corpus, { progress: false });
  const corpus = prepareCorpus(loaded.text, { minFreq: 3, lower: true, validFraction: 0.2 });
  const config: ModelConfig = { arch: o.arch, vocabSize: corpus.vocab.size, embeddingDim: o.embed, hiddenSize: o.hidden, numLayers: o.layers, dropout: 0 };
  let pytorchNote: string | undefined;
  let pytorch = o.pytorch;
  if (pytorch) {
    if (!pytorchAvailable(pytorch.python, pytorch.script)) {
      pytorchNote = `skipped: ${pytorch.python} or ${pytorch.script} not found`;
      pytorch = null;
    }
  }
  const anchor = pytorch ? await checkAnchor(pytorch, log) : null;
  const engine = await engineFor(o, config);
  for (const line of engine.log) log(`engine: ${line}`);
  const baseline = o.scaling ? await engineFor({ ...o, workers: 1 }, config) : null;
  for (const line of baseline?.log ?? []) log(`baseline engine: ${line}`);
  const throughputOptions = { warmupBatches: o.warmupBatches, windows: o.windows, batchesPerWindow: o.batchesPerWindow, batchSize: o.batchSize, bptt: o.bptt, seed: o.seed };
  const describe = (t: Throughput) => `${Math.round(t.charsPerSecond)} chars/s (windows ${t.windows.map(Math.round).join(', ')}; ${Math.round(t.charsPerCpuSecond)} chars per CPU-second, ${t.cpuPerWall.toFixed(2)} cores busy)`;
  const rounds: BenchReport['rounds'] = [];
  try {
    for (let r = 0; r < o.rounds; r++) {
      const oneWorker = baseline ? await measureThroughput(config, corpus.train, baseline.factory, throughputOptions) : undefined;
      if (oneWorker) log(`round ${r + 1}/${o.rounds}: ours, one worker ${describe(oneWorker)}`);
      const ours = await measureThroughput(config, corpus.train, engine.factory, throughputOptions);
      log(`round ${r + 1}/${o.rounds}: ours ${describe(ours)}${oneWorker ? `: ${(ours.charsPerSecond / oneWorker.charsPerSecond).toFixed(2)}× one worker` : ''}`);
      const torch: PytorchRound[] = [];
      for (const threads of pytorch?.threads ?? []) {
        const result = await runPytorch({ ...pytorch!, threads, corpus: pytorch!.corpusFile, arch: o.arch, embed: o.embed, hidden: o.hidden, layers: o.layers, batchSize: o.batchSize, bptt: o.bptt });
        log(`round ${r + 1}/${o.rounds}: pytorch, ${threads} thread${threads === 1 ? '' : 's'}: ${result.line}`);
        const problems = anchorProblems(result.anchor, threads);
        if (problems.length) throw new AnchorError(`the PyTorch reference at ${threads} threads is not a fair anchor, so no figure is written: ${problems.join('; ')}`);
        torch.push({ threads, result });
      }
      const best = torch.length ? Math.max(...torch.map((t) => t.result.charsPerSecond)) : null;
      rounds.push({ ours, ...(oneWorker ? { oneWorker } : {}), pytorch: torch, ratio: best ? ours.charsPerSecond / best : null });
    }
  } finally {
    await engine.dispose?.();
    await baseline?.dispose?.();
  }
  const ratios = rounds.flatMap((x) => (x.ratio === null ? [] : [x.ratio]));
  return {
    engine: engine.name,
    engineLog: engine.log,
    wasm: engine.wasm,
    config: { ...config, batchSize: o.batchSize, bptt: o.bptt },
    workers: o.workers,
    threads: o.threads,
    charsPerSecond: median(rounds.map((x) => x.ours.charsPerSecond)),
    rounds,
    pytorch: pytorch
      ? pytorch.threads.map((threads) => {
          const results = rounds.map((x) => x.pytorch.find((p) => p.threads === threads)!.result);
          const cpu = results.flatMap((r) => (r.charsPerCpuSecond === null ? [] : [r.charsPerCpuSecond]));
          return { threads, charsPerSecond: median(results.map((r) => r.charsPerSecond)), charsPerCpuSecond: cpu.length ? median(cpu) : null };
        })
      : pytorchNote
        ? { note: pytorchNote }
        : null,
    ratio: ratios.length ? median(ratios) : null,
    scaling: scalingOf(rounds, o.workers),
    anchor,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAverage: { before: loadBefore, after: os.loadavg() },
    cpus: os.cpus().length,
    date: new Date().toISOString(),
  };
}
