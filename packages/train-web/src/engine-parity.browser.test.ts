/**
 * The ONNX Runtime training engine in Chromium against itself in Node: one optimizer step on
 * onnxruntime-web (wasm) equals onnxruntime-node's on the same weights and batch; and the
 * training graphs on WebGPU (SwiftShader, on the CPU: correctness, not speed) equal wasm for a
 * few steps, with the operators that onnxruntime places on the CPU under WebGPU pinned.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as ort from 'onnxruntime-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Rng } from '@charrnn/data';
import { OrtEngine, randomWeights, type ModelConfig, type OrtApi, type Weights } from '@charrnn/train/browser';
import { workspaceSources } from '../../../tools/esbuild-workspace-sources.mjs';
import { startStaticServer, type StaticServer } from '../../infer-web/tools/static-server.js';
import { relativeErrorOf } from '../../train/src/fast/test-helpers/relative-error.js';
import { ORT_WASM_FILES } from '../tools/bundle.js';
import type { EngineStepRequest, EngineStepResult } from './test-helpers/engine-step-page.js';
import { CHROMIUM, CHROMIUM_ARGS } from './test-helpers/chromium.js';

const requireHere = createRequire(import.meta.url);

type Batch = EngineStepRequest['batches'][number];

function batches(count: number, vocab: number, seqLen: number, batchSize: number, seed: number): Batch[] {
  const rng = new Rng(seed);
  const ids = () => Array.from({ length: seqLen * batchSize }, () => Math.floor(rng.next() * vocab));
  return Array.from({ length: count }, () => ({ input: ids(), target: ids(), seqLen, batchSize }));
}

function serialise(weights: Weights): EngineStepRequest['weights'] {
  return Object.fromEntries([...weights].map(([name, t]) => [name, { shape: t.shape, data: Array.from(t.data) }]));
}

function worstError(a: EngineStepResult['weights'], b: Record<string, ArrayLike<number>>): number {
  return Math.max(...Object.keys(b).map((name) => relativeErrorOf(a[name], b[name])));
}

/** The same steps on onnxruntime-node's CPU provider. */
async function nodeSteps(config: ModelConfig, weights: Weights, steps: Batch[], lr: number): Promise<{ losses: number[]; weights: Record<string, Float32Array> }> {
  const engine = await OrtEngine.create(
    { config, weights, optimizer: 'adam', momentum: 0.9, clip: null },
    { ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 },
  );
  const losses: number[] = [];
  const rng = new Rng(0);
  for (const b of steps) {
    if (engine.stateBatch !== b.batchSize) engine.resetState(b.batchSize);
    losses.push((await engine.trainStep({ input: Int32Array.from(b.input), target: Int32Array.from(b.target), seqLen: b.seqLen, batchSize: b.batchSize }, lr, rng)).loss);
  }
  const after = await engine.getWeights();
  await engine.dispose();
  return { losses, weights: Object.fromEntries([...after].map(([name, t]) => [name, t.data])) };
}

describe('training engine in Chromium', () => {
  let tempDir: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'train-web-engine-'));
    await build({
      entryPoints: { 'engine-step': fileURLToPath(new URL('./test-helpers/engine-step-page.ts', import.meta.url)) },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      outdir: tempDir,
      logLevel: 'warning',
      plugins: [workspaceSources()],
    });
    for (const name of ORT_WASM_FILES) await copyFile(requireHere.resolve(`onnxruntime-web/${name}`), join(tempDir, name));
    await writeFile(join(tempDir, 'index.html'), '<!doctype html><script type="module" src="engine-step.js"></script>');
    server = await startStaticServer({ mounts: { '/': tempDir } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => 'charrnnEngineSteps' in globalThis);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  const run = (request: EngineStepRequest): Promise<EngineStepResult> =>
    page.evaluate((r) => (globalThis as unknown as { charrnnEngineSteps(r: EngineStepRequest): Promise<EngineStepResult> }).charrnnEngineSteps(r), request);

  test.each([
    ['gru', { arch: 'gru', vocabSize: 30, embeddingDim: 8, hiddenSize: 24, numLayers: 1, dropout: 0 }],
    ['lstm ×2', { arch: 'lstm', vocabSize: 30, embeddingDim: 8, hiddenSize: 16, numLayers: 2, dropout: 0 }],
  ] as [string, ModelConfig][])('%s: one optimizer step on onnxruntime-web (wasm) equals onnxruntime-node’s (≤ 1e-4 relative)', async (_label, config) => {
    const weights = randomWeights(config, 3);
    const steps = batches(1, config.vocabSize, 8, 4, 5);
    const web = await run({ provider: 'wasm', config, weights: serialise(weights), batches: steps, lr: 0.01 });
    const node = await nodeSteps(config, weights, steps, 0.01);
    expect(web.engine).toBe('onnxruntime-web (wasm)');
    expect(Math.abs(web.losses[0] - node.losses[0]) / node.losses[0]).toBeLessThan(1e-6);
    const worst = worstError(web.weights, node.weights);
    console.log(`${config.arch} ×${config.numLayers}: one step, web (wasm) vs node (cpu), worst weight relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    // The step moved the weights: the comparison is of an update, not of two copies of the start.
    expect(worstError(web.weights, Object.fromEntries([...weights].map(([n, t]) => [n, t.data])))).toBeGreaterThan(1e-3);
  });

  test('WebGPU (SwiftShader) trains the GRU graphs equal to wasm for 3 steps; the operators placed on the CPU are pinned', async () => {
    const config: ModelConfig = { arch: 'gru', vocabSize: 30, embeddingDim: 8, hiddenSize: 24, numLayers: 1, dropout: 0 };
    const weights = serialise(randomWeights(config, 4));
    const steps = batches(3, config.vocabSize, 8, 4, 6);
    // Weights and optimizer state stay in GPU buffers between the steps (deviceResident), as the page's WebGPU runs do.
    const gpu = await run({ provider: 'webgpu', config, weights, batches: steps, lr: 0.01, profile: true });
    const cpu = await run({ provider: 'wasm', config, weights, batches: steps, lr: 0.01 });
    expect(gpu.engine).toBe('onnxruntime-web (webgpu)');
    for (let i = 0; i < 3; i++) expect(Math.abs(gpu.losses[i] - cpu.losses[i]) / cpu.losses[i]).toBeLessThan(1e-5);
    const worst = worstError(gpu.weights, cpu.weights);
    console.log(`gru: 3 steps, webgpu vs wasm, worst weight relative error ${worst.toExponential(2)}; kernel runs ${JSON.stringify(gpu.placement?.runsByProvider)}`);
    expect(worst).toBeLessThan(1e-4);
    // Only the shape and count ops stay on the CPU (onnxruntime keeps shape computations there):
    // the tokens' and targets' Reshape to rows, and the target count (Size, Cast). Every Gemm,
    // the cells, the loss (log-softmax written out), the one-hot rows, the backward pass, the
    // gradient norm and Adam run on WebGPU. A new onnxruntime-web that moves any op changes this
    // list: update it then.
    expect(gpu.placement!.opsByProvider.CPUExecutionProvider).toEqual(['Cast', 'Reshape', 'Size']);
    expect(gpu.placement!.opsByProvider.WebGpuExecutionProvider).toEqual(expect.arrayContaining(['Gemm', 'Sigmoid', 'Tanh', 'Gather', 'Concat', 'ReduceMax', 'Relu', 'ReduceSumSquare', 'Sqrt']));
    expect(Object.keys(gpu.placement!.runsByProvider).sort()).toEqual(['CPUExecutionProvider', 'WebGpuExecutionProvider']);
  }, 180_000);
});
