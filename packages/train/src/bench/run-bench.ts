import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { prepareCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { fastLossAndGradients } from '../fast/loss-and-gradients.js';
import { ParallelGradients } from '../fast/parallel-gradients.js';
import type { Arch, ModelConfig } from '../model/config.js';
import { lossAndGradients } from '../trainer/gradients.js';
import { median, measureThroughput, type GradientsFn, type Throughput } from './throughput.js';
import { pytorchAvailable, runPytorch, type PytorchResult } from './pytorch.js';

export type GradientsImpl = 'fast' | 'reference';

export interface BenchOptions {
  arch: Arch;
  embed: number;
  hidden: number;
  layers: number;
  batchSize: number;
  bptt: number;
  impl: GradientsImpl;
  /** Threads computing gradients (data-parallel over streams); 1 = this thread only. */
  workers: number;
  backend: BackendChoice;
  /** Corpus path; undefined = the embedded one (whose file PyTorch is then given). */
  corpus?: string;
  warmupBatches: number;
  windows: number;
  batchesPerWindow: number;
  /** Rounds of (ours, PyTorch), run one after the other so both see the same machine load. */
  rounds: number;
  /** The PyTorch reference; null = don't run it. */
  pytorch: { python: string; script: string; corpusFile: string; maxBatches: number; threads: number } | null;
  seed: number;
}

export interface BenchReport {
  backend: string;
  backendLog: string[];
  /** On wasm: the binary tfjs loaded and XNNPACK's thread count (tfjs never uses its threaded build in Node). */
  wasm: { binary: string; threads: number } | null;
  config: ModelConfig & { batchSize: number; bptt: number };
  impl: GradientsImpl;
  workers: number;
  /** Median over rounds of our median-of-windows chars/s. */
  charsPerSecond: number;
  rounds: { ours: Throughput; pytorch: PytorchResult | null; ratio: number | null }[];
  pytorch: { charsPerSecond: number; threads: number; note?: string } | null;
  /** Median over rounds of ours / PyTorch, each pair measured back to back. */
  ratio: number | null;
  peakRssMB: number;
  loadAverage: { before: number[]; after: number[] };
  cpus: number;
}

export function gradientsFor(impl: GradientsImpl): GradientsFn {
  return impl === 'fast' ? fastLossAndGradients : lossAndGradients;
}

/** The whole `train:bench` command: backend, corpus, then rounds of our throughput and PyTorch's. */
export async function runBench(o: BenchOptions, log: (line: string) => void): Promise<BenchReport> {
  const loadBefore = os.loadavg();
  const backend = await selectBackend(o.backend);
  let wasm: BenchReport['wasm'] = null;
  if (backend.name === 'wasm') {
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
    const { getThreadsCount } = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount: () => number };
    wasm = { binary: `tfjs-backend-wasm${threaded && simd ? '-threaded-simd' : simd ? '-simd' : ''}.wasm`, threads: getThreadsCount() };
  }
  const loaded = await loadCorpus(o.corpus, { progress: false });
  const corpus = prepareCorpus(loaded.text, { minFreq: 3, lower: true, validFraction: 0.2 });
  const config: ModelConfig = { arch: o.arch, vocabSize: corpus.vocab.size, embeddingDim: o.embed, hiddenSize: o.hidden, numLayers: o.layers, dropout: 0 };
  let pytorchNote: string | undefined;
  let pytorch = o.pytorch;
  if (pytorch) {
    // The reference script hard-codes embedding 42 and one layer, and has no LSTM.
    if (o.arch === 'lstm' || o.embed !== 42 || o.layers !== 1) {
      pytorchNote = 'skipped: the reference script runs only rnn/gru with embedding 42 and one layer';
      pytorch = null;
    } else if (!pytorchAvailable(pytorch.python, pytorch.script)) {
      pytorchNote = `skipped: ${pytorch.python} or ${pytorch.script} not found`;
      pytorch = null;
    }
  }
  if (o.workers > 1 && o.impl !== 'fast') throw new Error(`--workers ${o.workers} needs --impl fast (the reference runs on one thread)`);
  const parallel = o.workers > 1 ? await ParallelGradients.create(config, { parts: o.workers, backend: backend.name, maxBatchSize: o.batchSize }) : null;
  const gradients = parallel ? parallel.lossAndGradients : gradientsFor(o.impl);
  const rounds: BenchReport['rounds'] = [];
  for (let r = 0; r < o.rounds; r++) {
    const ours = await measureThroughput(config, corpus.train, gradients, {
      warmupBatches: o.warmupBatches,
      windows: o.windows,
      batchesPerWindow: o.batchesPerWindow,
      batchSize: o.batchSize,
      bptt: o.bptt,
      seed: o.seed,
    });
    log(`round ${r + 1}/${o.rounds}: ours ${Math.round(ours.charsPerSecond)} chars/s (windows ${ours.windows.map(Math.round).join(', ')}; ${Math.round(ours.charsPerCpuSecond)} chars per CPU-second, ${ours.cpuPerWall.toFixed(2)} cores busy)`);
    let torch: PytorchResult | null = null;
    if (pytorch) {
      torch = await runPytorch({ ...pytorch, corpus: pytorch.corpusFile, arch: o.arch as 'rnn' | 'gru', hidden: o.hidden, batchSize: o.batchSize, bptt: o.bptt });
      log(`round ${r + 1}/${o.rounds}: pytorch ${torch.line}`);
    }
    rounds.push({ ours, pytorch: torch, ratio: torch ? ours.charsPerSecond / torch.charsPerSecond : null });
  }
  await parallel?.dispose();
  const ratios = rounds.flatMap((x) => (x.ratio === null ? [] : [x.ratio]));
  return {
    backend: backend.name,
    backendLog: backend.log,
    wasm,
    config: { ...config, batchSize: o.batchSize, bptt: o.bptt },
    impl: o.impl,
    workers: o.workers,
    charsPerSecond: median(rounds.map((x) => x.ours.charsPerSecond)),
    rounds,
    pytorch: pytorch
      ? { charsPerSecond: median(rounds.map((x) => x.pytorch!.charsPerSecond)), threads: pytorch.threads }
      : o.pytorch
        ? { charsPerSecond: NaN, threads: o.pytorch.threads, note: pytorchNote }
        : null,
    ratio: ratios.length ? median(ratios) : null,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAverage: { before: loadBefore, after: os.loadavg() },
    cpus: os.cpus().length,
  };
}
