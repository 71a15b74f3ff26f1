/**
 * Generation speed, measured (never asserted in tests): batch-1 chars/s on onnxruntime-node and
 * on onnxruntime-web's wasm provider, prompt priming chars/s, and batch-64 aggregate chars/s.
 * Each figure is the median over several timed windows after a warm-up window.
 */
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { IO, hasState, type ModelInfo } from '@charrnn/contract';
import { CharGenerator as WebCharGenerator, type CoreCharGenerator } from '@charrnn/infer-web';
import { CharGenerator, type NodeBackend } from '@charrnn/infer-web/node';

export interface BenchOptions {
  /** Timed windows per figure (median reported). Default 7. */
  windows?: number;
  /** Characters generated per batch-1 window. Default 2000. */
  charsPerWindow?: number;
  /** Prompt length for priming. Default 1000. */
  primeChars?: number;
  /** Rows for the batch figure. Default 64. */
  batch?: number;
  /** Characters per row per batch window. Default 200. */
  batchChars?: number;
  /** onnxruntime-node backend. Default 'cpu' (no CUDA here; 'auto' would probe it every load). */
  backend?: NodeBackend;
  /** Reports each figure as it is measured. */
  onProgress?: (line: string) => void;
}

/** The figures the bench reports, once per wall-clock second and once per CPU-second. */
export interface BenchRates {
  node_minimal_loop_chars_per_s: number;
  node_batch1_chars_per_s: number;
  wasm_batch1_chars_per_s: number;
  node_priming_chars_per_s: number;
  wasm_priming_chars_per_s: number;
  priming_speedup_vs_generation: number;
  node_batch_aggregate_chars_per_s: number;
  batch_speedup_vs_batch1: number;
}

/** Wall-clock chars/s, with the run's context. */
export interface BenchReport extends BenchRates {
  model: Pick<ModelInfo, 'arch' | 'vocabSize' | 'embeddingDim' | 'hiddenSize' | 'numLayers' | 'graph'>;
  windows: number;
  nodeBackend: string;
  /** 1-minute load average before / after: the machine is shared, so figures move with it. */
  loadavg_1m: [number, number];
  batch: number;
  /** The same figures per CPU-second of this process (see rate()). */
  per_cpu_second: BenchRates;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median chars/s over the windows: by the wall clock, and per CPU-second of this process. */
interface Rate {
  wall: number;
  cpu: number;
}

/**
 * Both clocks, because this machine is shared: onnxruntime-node with one intra-op thread and
 * onnxruntime-web with one wasm thread run on this process' main thread, so its CPU time is the
 * work itself, and chars per CPU-second is what an idle machine would show by the wall clock.
 */
async function rate(windows: number, chars: number, run: () => Promise<unknown>): Promise<Rate> {
  await run(); // warm-up: allocations, kernels, JIT
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let w = 0; w < windows; w++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const elapsed = performance.now() - t0;
    const used = process.cpuUsage(c0);
    wall.push((chars * 1000) / elapsed);
    cpu.push((chars * 1e6) / (used.user + used.system));
  }
  return { wall: Math.round(median(wall)), cpu: Math.round(median(cpu)) };
}

/** A text of `n` characters drawn from the model's own single-character vocabulary. */
function promptOf(info: ModelInfo, n: number): string {
  const chars = info.vocab.filter((t) => [...t].length === 1);
  return Array.from({ length: n }, (_, i) => chars[(i * 7919) % chars.length]).join('');
}

async function batch1(gen: CoreCharGenerator, windows: number, chars: number): Promise<Rate> {
  const prompt = promptOf(gen.info, 4);
  return rate(windows, chars, async () => {
    gen.reset();
    await gen.generate(prompt, { maxNewTokens: chars, temperature: 1, seed: 1 });
  });
}

async function priming(gen: CoreCharGenerator, windows: number, chars: number): Promise<Rate> {
  const prompt = promptOf(gen.info, chars);
  return rate(windows, chars, async () => {
    gen.reset();
    await gen.generate(prompt, { maxNewTokens: 0 });
  });
}

/**
 * The smallest loop around the same model: one pre-built tensor per input, hn copied back to h0,
 * argmax in place. What is left between this and batch-1 is infer-web's own overhead.
 */
async function minimalLoop(model: Uint8Array, info: ModelInfo, windows: number, chars: number): Promise<Rate> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const dims = [info.numLayers, 1, info.hiddenSize];
  const tokens = new BigInt64Array(1);
  const h = new Float32Array(info.numLayers * info.hiddenSize);
  const c = new Float32Array(h.length);
  const feeds: Record<string, ort.Tensor> = { [IO.tokens]: new ort.Tensor('int64', tokens, [1, 1]), [IO.h0]: new ort.Tensor('float32', h, dims) };
  const withC = hasState(info.arch, 'c');
  if (withC) feeds[IO.c0] = new ort.Tensor('float32', c, dims);
  const result = await rate(windows, chars, async () => {
    for (let i = 0; i < chars; i++) {
      const out = await session.run(feeds);
      h.set(out[IO.hn].data as Float32Array);
      if (withC) c.set(out[IO.cn].data as Float32Array);
      const logits = out[IO.logits].data as Float32Array;
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      tokens[0] = BigInt(best);
    }
  });
  await session.release();
  return result;
}

export async function runBenchmark(model: Uint8Array, options: BenchOptions = {}): Promise<BenchReport> {
  const windows = options.windows ?? 7;
  const chars = options.charsPerWindow ?? 2000;
  const primeChars = options.primeChars ?? 1000;
  const batch = options.batch ?? 64;
  const batchChars = options.batchChars ?? 200;
  const say = options.onProgress ?? (() => undefined);

  const loadBefore = loadavg()[0];
  const node = await CharGenerator.load(model, { backend: options.backend ?? 'cpu', seed: 1 });
  const { arch, vocabSize, embeddingDim, hiddenSize, numLayers, graph } = node.info;
  const minimal = await minimalLoop(model, node.info, windows, chars);
  const show = (r: Rate): string => `${r.wall} chars/s (${r.cpu} per CPU-second)`;
  say(`node minimal loop (no infer-web): ${show(minimal)}`);
  const nodeBatch1 = await batch1(node, windows, chars);
  say(`node batch-1: ${show(nodeBatch1)}`);
  const nodePriming = await priming(node, windows, primeChars);
  say(`node priming: ${show(nodePriming)}`);
  const prompts = Array.from({ length: batch }, (_, i) => promptOf(node.info, 4 + (i % 5)));
  const nodeBatch = await rate(windows, batch * batchChars, async () => {
    await node.generateBatch(prompts, { maxNewTokens: batchChars, temperature: 1, seed: 1 });
  });
  say(`node batch-${batch}: ${show(nodeBatch)} aggregate`);
  const nodeBackend = node.backend;
  await node.release();

  const web = await WebCharGenerator.load(model, { backend: 'wasm', numThreads: 1, seed: 1 });
  const wasmBatch1 = await batch1(web, windows, chars);
  say(`wasm batch-1: ${show(wasmBatch1)}`);
  const wasmPriming = await priming(web, windows, primeChars);
  say(`wasm priming: ${show(wasmPriming)}`);
  await web.release();

  const ratio = (a: number, b: number): number => Math.round((a / b) * 10) / 10;
  return {
    model: { arch, vocabSize, embeddingDim, hiddenSize, numLayers, graph },
    windows,
    nodeBackend,
    loadavg_1m: [Math.round(loadBefore * 100) / 100, Math.round(loadavg()[0] * 100) / 100],
    node_minimal_loop_chars_per_s: minimal.wall,
    node_batch1_chars_per_s: nodeBatch1.wall,
    wasm_batch1_chars_per_s: wasmBatch1.wall,
    node_priming_chars_per_s: nodePriming.wall,
    wasm_priming_chars_per_s: wasmPriming.wall,
    priming_speedup_vs_generation: ratio(nodePriming.wall, nodeBatch1.wall),
    batch,
    node_batch_aggregate_chars_per_s: nodeBatch.wall,
    batch_speedup_vs_batch1: ratio(nodeBatch.wall, nodeBatch1.wall),
    per_cpu_second: {
      node_minimal_loop_chars_per_s: minimal.cpu,
      node_batch1_chars_per_s: nodeBatch1.cpu,
      wasm_batch1_chars_per_s: wasmBatch1.cpu,
      node_priming_chars_per_s: nodePriming.cpu,
      wasm_priming_chars_per_s: wasmPriming.cpu,
      priming_speedup_vs_generation: ratio(nodePriming.cpu, nodeBatch1.cpu),
      node_batch_aggregate_chars_per_s: nodeBatch.cpu,
      batch_speedup_vs_batch1: ratio(nodeBatch.cpu, nodeBatch1.cpu),
    },
  };
}
