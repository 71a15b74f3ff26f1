/**
 * A test page's script (bundled by the browser tests, not part of the site): runs the ONNX
 * Runtime training engine in the page on a given provider, for a given number of steps from given
 * weights and batches, and returns the losses and the weights after; with `profile`, where every
 * kernel ran (onnxruntime's profiling output, which onnxruntime-web prints to the console).
 */
import { Rng } from '@charrnn/data';
import { OrtEngine, placementOf, type BrowserProvider, type ModelConfig, type OrtApi, type Placement, type Weights } from '@charrnn/train/browser';
import { loadOrtWeb } from '../ort-builds.js';

export interface EngineStepRequest {
  provider: BrowserProvider;
  config: ModelConfig;
  weights: Record<string, { shape: number[]; data: number[] }>;
  /** One batch per step: time-major [seqLen, batchSize] token ids. */
  batches: { input: number[]; target: number[]; seqLen: number; batchSize: number }[];
  lr: number;
  profile?: boolean;
}

export interface EngineStepResult {
  engine: string;
  losses: number[];
  /** Milliseconds of each trainStep (the first includes building and loading the session). */
  stepMs: number[];
  weights: Record<string, number[]>;
  placement?: Placement;
}

/** onnxruntime-web prints a profile one event per console line, between a '[' line and a ']' line. */
function profileArrays(lines: readonly string[]): unknown[] {
  const arrays: unknown[] = [];
  let current: string[] | null = null;
  for (const line of lines.flatMap((l) => l.split('\n'))) {
    const t = line.trim();
    if (t === '[') current = [];
    else if (t === ']' && current) {
      arrays.push(JSON.parse(`[${current.join('').replace(/,\s*$/, '')}]`));
      current = null;
    } else if (current) current.push(t);
  }
  return arrays;
}

async function engineSteps(request: EngineStepRequest): Promise<EngineStepResult> {
  const ort = await loadOrtWeb(request.provider);
  ort.env.wasm.numThreads = 1;
  const weights: Weights = new Map(Object.entries(request.weights).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data) }]));
  const printed: string[] = [];
  const log = console.log;
  if (request.profile) console.log = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  try {
    const engine = await OrtEngine.create(
      { config: request.config, weights, optimizer: 'adam', momentum: 0.9, clip: null },
      {
        ort: ort as unknown as OrtApi,
        runtime: 'onnxruntime-web',
        provider: request.provider,
        deviceResident: request.provider === 'webgpu',
        ...(request.profile ? { sessionOptions: { enableProfiling: true } } : {}),
      },
    );
    const losses: number[] = [];
    const stepMs: number[] = [];
    const rng = new Rng(0);
    for (const b of request.batches) {
      if (engine.stateBatch !== b.batchSize) engine.resetState(b.batchSize);
      const t0 = performance.now();
      const { loss } = await engine.trainStep({ input: Int32Array.from(b.input), target: Int32Array.from(b.target), seqLen: b.seqLen, batchSize: b.batchSize }, request.lr, rng);
      stepMs.push(performance.now() - t0);
      losses.push(loss);
    }
    const after = await engine.getWeights();
    // Releasing the sessions ends their profiling, which prints the trace.
    await engine.dispose();
    const result: EngineStepResult = { engine: engine.name, losses, stepMs, weights: Object.fromEntries([...after].map(([name, t]) => [name, Array.from(t.data)])) };
    if (request.profile) {
      result.placement = placementOf(profileArrays(printed));
    }
    return result;
  } finally {
    console.log = log;
  }
}

(globalThis as { charrnnEngineSteps?: typeof engineSteps }).charrnnEngineSteps = engineSteps;
