/**
 * Figures for the README, measured in one run: in-page training chars/s (Chromium, the page's own
 * worker, wasm) beside the Node ONNX Runtime engine at one intra-op thread, same loop, same model,
 * same batches, alternating rounds; and the engine alone in steady state (one window length,
 * sessions built, the same batches: onnxruntime-web's wasm kernels against native ones); the page's chars/s is the epoch record's (training steps only,
 * as Node's) of the second epoch: the first builds a session per window length (the loader's
 * random BPTT lengths), which is set-up, not training. Optionally the page cross-origin isolated with wasm threads. And the page weight: every
 * byte a first visit downloads before the first batch has trained, raw and gzip.
 */
import { gzipSync } from 'node:zlib';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Rng, prepareCorpus } from '@charrnn/data';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import { DEFAULT_FIT_OPTIONS, OrtEngine, ortEngine, randomWeights, trainingLoop, type EpochRecord, type FitOptions, type FromWorker, type ModelConfig, type OrtApi } from '@charrnn/train/browser';
import { workspaceSources } from '../../../tools/esbuild-workspace-sources.mjs';
import type { EngineStepRequest, EngineStepResult } from '../src/test-helpers/engine-step-page.js';
import { ORT_WASM_FILES, buildSite } from './bundle.js';
import { startSiteServer } from './site-server.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../src/test-helpers/chromium.js';

export interface BenchConfig {
  name: string;
  arch: 'gru' | 'lstm' | 'rnn';
  embed: number;
  hidden: number;
  bs: number;
  bptt: number;
}

export const BENCH_CONFIGS: readonly BenchConfig[] = [
  { name: "page default (GRU e32 h128)", arch: 'gru', embed: 32, hidden: 128, bs: 64, bptt: 8 },
  { name: "lesson GRU (e42 h256)", arch: 'gru', embed: 42, hidden: 256, bs: 64, bptt: 8 },
];

export interface BenchOptions {
  batches: number;
  rounds: number;
  /** Also run the page cross-origin isolated with this many wasm threads (0 = skip). */
  threads: number;
}

export interface RoundResult {
  node: number;
  page: number;
  ratio: number;
  pageThreads?: number;
  ratioThreads?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function fitOptions(c: BenchConfig, batches: number): FitOptions {
  return { ...DEFAULT_FIT_OPTIONS, arch: c.arch, embed: c.embed, hidden: c.hidden, bs: c.bs, bptt: c.bptt, schedule: '2@1e-3', maxBatches: batches, engine: 'ort', device: 'cpu' };
}

async function nodeRun(text: string, c: BenchConfig, batches: number): Promise<EpochRecord> {
  const options = fitOptions(c, batches);
  const corpus = prepareCorpus(text, { minFreq: options.minFreq, lower: options.lower, validFraction: options.validFraction });
  const result = await trainingLoop({
    corpus,
    options,
    engine: ortEngine({ ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 }),
    save: async () => {},
    location: 'memory',
  });
  return result.history[1];
}

async function pageRun(page: Page, url: string, c: BenchConfig, batches: number): Promise<EpochRecord> {
  await page.goto(url);
  await page.waitForFunction(() => 'charrnnTrainer' in globalThis);
  const settings: Record<string, string> = { arch: c.arch, embed: String(c.embed), hidden: String(c.hidden), layers: '1', bs: String(c.bs), bptt: String(c.bptt), epochs: '2', lr: '0.001', maxBatches: String(batches), seed: '0' };
  for (const [name, value] of Object.entries(settings)) {
    const selector = `#settings [name=${name}]`;
    if (name === 'arch') await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
  const epoch = page.evaluate(
    () =>
      new Promise<EpochRecord>((resolve, reject) => {
        const trainer = (globalThis as unknown as { charrnnTrainer: { on(t: string, f: (m: FromWorker) => void): void } }).charrnnTrainer;
        trainer.on('epoch', (m) => m.type === 'epoch' && m.record.epoch === 2 && resolve(m.record));
        trainer.on('error', (m) => m.type === 'error' && reject(new Error(m.message)));
      }),
  );
  await page.click('#train');
  return epoch;
}

export interface PageWeight {
  /** Every distinct file fetched until the first trained batch: URL path, raw bytes, gzip bytes. */
  files: { path: string; bytes: number; gzipBytes: number }[];
  bytes: number;
  gzipBytes: number;
  /**
   * Bytes transferred, counting the files the page and the worker both import twice: the demo
   * server sends no validators, so the worker's module loads re-download the shared chunks (an
   * HTTP cache with ETags or max-age serves them once).
   */
  transferredBytes: number;
  /** Page navigation to the first batch's progress message (embedded corpus, page defaults). */
  secondsToFirstBatch: number;
}

async function pageWeight(browser: Browser, url: string): Promise<PageWeight> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const files: PageWeight['files'] = [];
  const pending: Promise<void>[] = [];
  page.on('response', (response) => {
    pending.push(
      response.body().then(
        (body) => void files.push({ path: new URL(response.url()).pathname, bytes: body.byteLength, gzipBytes: gzipSync(body, { level: 6 }).byteLength }),
        () => {},
      ),
    );
  });
  const started = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => 'charrnnTrainer' in globalThis);
  const first = page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const trainer = (globalThis as unknown as { charrnnTrainer: { on(t: string, f: () => void): void } }).charrnnTrainer;
        trainer.on('progress', () => resolve());
      }),
  );
  await page.click('#train');
  await first;
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(pending);
  await context.close();
  const distinct = [...new Map(files.map((f) => [f.path, f])).values()].sort((a, b) => b.bytes - a.bytes);
  const sum = (key: 'bytes' | 'gzipBytes') => distinct.reduce((s, f) => s + f[key], 0);
  return { files: distinct, bytes: sum('bytes'), gzipBytes: sum('gzipBytes'), transferredBytes: files.reduce((s, f) => s + f.bytes, 0), secondsToFirstBatch: seconds };
}

export interface DefaultRun {
  /** The page's defaults as the form holds them. */
  settings: Record<string, string>;
  epochs: EpochRecord[];
  /** Navigation to the end of the run. */
  wallSeconds: number;
  lastSample: string;
}

/** Trains the page's defaults (embedded corpus, no setting touched) to the end: what a visitor gets in a few minutes. */
export async function defaultRun(browser: Browser, url: string): Promise<DefaultRun> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => 'charrnnTrainer' in globalThis);
  const settings = await page.$$eval('#settings input[type=number], #settings select', (els) =>
    Object.fromEntries(els.map((el) => [(el as HTMLInputElement).name, (el as HTMLInputElement).value])),
  );
  const done = page.evaluate(
    () =>
      new Promise<{ epochs: EpochRecord[]; sample: string }>((resolve, reject) => {
        const trainer = (globalThis as unknown as { charrnnTrainer: { on(t: string, f: (m: FromWorker) => void): void } }).charrnnTrainer;
        const epochs: EpochRecord[] = [];
        let sample = '';
        trainer.on('epoch', (m) => m.type === 'epoch' && epochs.push(m.record));
        trainer.on('sample', (m) => m.type === 'sample' && (sample = m.text));
        trainer.on('error', (m) => m.type === 'error' && reject(new Error(m.message)));
        trainer.on('state', (m) => m.type === 'state' && m.state === 'finished' && setTimeout(() => resolve({ epochs, sample }), 0));
      }),
  );
  await page.click('#train');
  const { epochs, sample } = await done;
  await context.close();
  return { settings, epochs, wallSeconds: (Date.now() - started) / 1000, lastSample: sample };
}

/** Steady-state steps: one window length (8), sessions built before timing, the same batches on both sides. */
export interface SteadyResult {
  node: number;
  page: number;
  ratio: number;
}

const STEADY_WARMUP = 10;
const STEADY_STEPS = 60;

/** The engine-step test page (the engine in the page's main thread on onnxruntime-web/wasm), built beside the site. */
async function buildEngineStepPage(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await build({
    entryPoints: { 'engine-step': fileURLToPath(new URL('../src/test-helpers/engine-step-page.ts', import.meta.url)) },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    outdir: dir,
    logLevel: 'warning',
    plugins: [workspaceSources()],
  });
  const requireHere = createRequire(import.meta.url);
  for (const name of ORT_WASM_FILES) await copyFile(requireHere.resolve(`onnxruntime-web/${name}`), join(dir, name));
  await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="engine-step.js"></script>');
}

function steadyBatches(vocab: number, c: BenchConfig): EngineStepRequest['batches'] {
  const rng = new Rng(1);
  const ids = () => Array.from({ length: c.bptt * c.bs }, () => Math.floor(rng.next() * vocab));
  return Array.from({ length: STEADY_WARMUP + STEADY_STEPS }, () => ({ input: ids(), target: ids(), seqLen: c.bptt, batchSize: c.bs }));
}

async function steadyRound(page: Page, c: BenchConfig): Promise<SteadyResult> {
  const config: ModelConfig = { arch: c.arch, vocabSize: 55, embeddingDim: c.embed, hiddenSize: c.hidden, numLayers: 1, dropout: 0 };
  const weights = randomWeights(config, 0);
  const batches = steadyBatches(config.vocabSize, c);
  const chars = c.bs * c.bptt;
  const engine = await OrtEngine.create(
    { config, weights, optimizer: 'adam', momentum: 0.9, clip: null },
    { ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 },
  );
  engine.resetState(c.bs);
  const rng = new Rng(0);
  const nodeMs: number[] = [];
  for (const b of batches) {
    const t0 = performance.now();
    await engine.trainStep({ input: Int32Array.from(b.input), target: Int32Array.from(b.target), seqLen: b.seqLen, batchSize: b.batchSize }, 1e-3, rng);
    nodeMs.push(performance.now() - t0);
  }
  await engine.dispose();
  const request: EngineStepRequest = {
    provider: 'wasm',
    config,
    weights: Object.fromEntries([...weights].map(([n, t]) => [n, { shape: t.shape, data: Array.from(t.data) }])),
    batches,
    lr: 1e-3,
  };
  const web = await page.evaluate((r) => (globalThis as unknown as { charrnnEngineSteps(r: EngineStepRequest): Promise<EngineStepResult> }).charrnnEngineSteps(r), request);
  const node = (chars / median(nodeMs.slice(STEADY_WARMUP))) * 1000;
  const pageRate = (chars / median(web.stepMs.slice(STEADY_WARMUP))) * 1000;
  return { node, page: pageRate, ratio: pageRate / node };
}

export interface BenchReport {
  date: string;
  cpu: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  batches: number;
  configs: {
    config: BenchConfig;
    rounds: RoundResult[];
    medianNode: number;
    medianPage: number;
    medianRatio: number;
    medianPageThreads?: number;
    medianRatioThreads?: number;
    steady: SteadyResult[];
    medianSteadyRatio: number;
  }[];
  pageWeight: PageWeight;
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const loadAverageBefore = loadavg();
  const dir = await mkdtemp(join(tmpdir(), 'train-web-bench-'));
  const site = join(dir, 'site');
  await buildSite(site);
  await buildEngineStepPage(join(site, 'engine-step'));
  const plain = await startSiteServer({ siteDir: site });
  const isolated = options.threads > 0 ? await startSiteServer({ siteDir: site, isolated: true }) : undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const text = await readEmbeddedCorpus();
  try {
    const weight = await pageWeight(browser, plain.url);
    const configs: BenchReport['configs'] = [];
    for (const config of BENCH_CONFIGS) {
      const rounds: RoundResult[] = [];
      const steady: SteadyResult[] = [];
      for (let r = 0; r < options.rounds; r++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${plain.url}engine-step/`);
        await page.waitForFunction(() => 'charrnnEngineSteps' in globalThis);
        const s = await steadyRound(page, config);
        steady.push(s);
        console.error(`${config.name} round ${r + 1}, steady state: node ${Math.round(s.node)}, page ${Math.round(s.page)} chars/s (${s.ratio.toFixed(3)}); load ${loadavg()[0].toFixed(2)}`);
        const node = (await nodeRun(text, config, options.batches)).charsPerSecond;
        const web = (await pageRun(page, plain.url, config, options.batches)).charsPerSecond;
        const round: RoundResult = { node, page: web, ratio: web / node };
        if (isolated) {
          const threaded = (await pageRun(page, `${isolated.url}?threads=${options.threads}`, config, options.batches)).charsPerSecond;
          round.pageThreads = threaded;
          round.ratioThreads = threaded / node;
        }
        await context.close();
        rounds.push(round);
        console.error(`${config.name} round ${r + 1}: node ${Math.round(node)}, page ${Math.round(web)} (${round.ratio.toFixed(3)})${round.pageThreads ? `, page ${options.threads} threads ${Math.round(round.pageThreads)} (${round.ratioThreads!.toFixed(3)})` : ''} chars/s; load ${loadavg()[0].toFixed(2)}`);
      }
      configs.push({
        config,
        rounds,
        medianNode: median(rounds.map((r) => r.node)),
        medianPage: median(rounds.map((r) => r.page)),
        medianRatio: median(rounds.map((r) => r.ratio)),
        ...(isolated ? { medianPageThreads: median(rounds.map((r) => r.pageThreads!)), medianRatioThreads: median(rounds.map((r) => r.ratioThreads!)) } : {}),
        steady,
        medianSteadyRatio: median(steady.map((s) => s.ratio)),
      });
    }
    return { date: new Date().toISOString(), cpu: cpus()[0]?.model ?? 'unknown', loadAverageBefore, loadAverageAfter: loadavg(), batches: options.batches, configs, pageWeight: weight };
  } finally {
    await browser.close();
    await plain.close();
    await isolated?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** defaultRun with its own site, server and browser; the load average beside it. */
export async function runDefault(): Promise<DefaultRun & { loadAverageBefore: number[]; loadAverageAfter: number[] }> {
  const loadAverageBefore = loadavg();
  const dir = await mkdtemp(join(tmpdir(), 'train-web-bench-'));
  await buildSite(join(dir, 'site'));
  const server = await startSiteServer({ siteDir: join(dir, 'site') });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    return { ...(await defaultRun(browser, server.url)), loadAverageBefore, loadAverageAfter: loadavg() };
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

