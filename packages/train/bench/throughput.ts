import { LanguageModelLoader, Rng, type Batch } from '@charrnn/data';
import { randomWeights, type EngineFactory, type ModelConfig } from '@charrnn/train';

export interface ThroughputOptions {
  /** Batches run before timing starts (sessions per window length are built, wasm grows its heap). */
  warmupBatches: number;
  /** Timed windows; the result is their median. */
  windows: number;
  batchesPerWindow: number;
  batchSize: number;
  bptt: number;
  seed: number;
}

export interface Throughput {
  /** Median over the windows of trained characters (targets) per second. */
  charsPerSecond: number;
  /** Every window's chars/s, in order. */
  windows: number[];
  /** Median over the windows of chars per CPU-second of this process (all its threads): less load-sensitive than wall time. */
  charsPerCpuSecond: number;
  /** Median over the windows of CPU time / wall time (≈ cores kept busy). */
  cpuPerWall: number;
  /** Mean training loss of the timed batches (a sanity check that it trains). */
  loss: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Training throughput as PyTorch's reference script counts it: whole optimizer steps (forward,
 * backward, Adam at lr 1e-3) on the corpus' training stream with the loader's randomised sequence
 * lengths, state carried and detached between batches; chars = targets trained on.
 */
export async function measureThroughput(config: ModelConfig, trainIds: Int32Array, engineFactory: EngineFactory, opts: ThroughputOptions): Promise<Throughput> {
  const engine = await engineFactory({ config, weights: randomWeights(config, opts.seed), optimizer: 'adam', momentum: 0, clip: null });
  const loader = new LanguageModelLoader(trainIds, { batchSize: opts.batchSize, bptt: opts.bptt, seed: opts.seed });
  const needed = opts.warmupBatches + opts.windows * opts.batchesPerWindow;
  const batches: Batch[] = [];
  for (let epoch = 0; batches.length < needed; epoch++) {
    for (const b of loader.epoch(epoch)) {
      batches.push(b);
      if (batches.length === needed) break;
    }
  }
  const rng = new Rng(opts.seed, 1);
  const trainStep = async (batch: Batch) => {
    if (engine.stateBatch !== batch.batchSize) engine.resetState(batch.batchSize);
    return (await engine.trainStep(batch, 1e-3, rng)).loss;
  };
  try {
    // Every window length of the timed batches is seen once first (the ONNX Runtime engine builds a session per length).
    const warm = new Map<number, Batch>();
    for (const b of batches) if (!warm.has(b.seqLen)) warm.set(b.seqLen, b);
    for (const b of warm.values()) await trainStep(b);
    for (let i = 0; i < opts.warmupBatches; i++) await trainStep(batches[i]);
    const windows: number[] = [];
    const perCpu: number[] = [];
    const busy: number[] = [];
    let lossSum = 0;
    let targets = 0;
    for (let w = 0; w < opts.windows; w++) {
      const from = opts.warmupBatches + w * opts.batchesPerWindow;
      let chars = 0;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (const batch of batches.slice(from, from + opts.batchesPerWindow)) {
        const n = batch.seqLen * batch.batchSize;
        lossSum += (await trainStep(batch)) * n;
        chars += n;
      }
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      windows.push(chars / wall);
      perCpu.push(chars / cpuSeconds);
      busy.push(cpuSeconds / wall);
      targets += chars;
    }
    return { charsPerSecond: median(windows), windows, charsPerCpuSecond: median(perCpu), cpuPerWall: median(busy), loss: lossSum / targets };
  } finally {
    await engine.dispose();
  }
}
