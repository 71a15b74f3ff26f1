/**
 * What a visitor of a page with infer-web downloads and waits for, measured in Chromium
 * (`nx run infer-web:page-bench`): the script-tag build served with gzip (every file precompressed
 * at level 9 and sent to browsers that accept it, as nginx's gzip_static or sirv's gzip do), a page
 * that loads the demo model and generates.
 *   - bytes a first visit downloads before the first character: the page's own Resource Timing
 *     (transferSize: encoded body and headers) of the page and everything it fetched, in a fresh
 *     browser context (Chromium's Network.loadingFinished events missed the model's response in
 *     about one visit in three, so they are not used for this);
 *   - time to the first character, from navigation start, without and with a throttled network;
 *   - batch-1 characters/s on wasm.
 * Each is measured for the current build and for "before": the same infer-web code with every
 * onnxruntime-web import sent to onnxruntime-web's default (JSEP) build, bundled into infer-web.js
 * as one bundle, so the difference is the runtime alone. Old and new alternate within
 * one run, and the figures are medians, because the machine is shared: the load average goes with
 * them.
 */
import { build, type Plugin } from 'esbuild';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { buildBrowserBundles, PACKAGE_ROOT } from './bundle.js';
import { DEMO_DIR, DEMO_MODEL_FILE } from './demo-server.js';
import { startStaticServer, type StaticServer } from './static-server.js';

export type Variant = 'new' | 'before';

/** The JSEP build's files, which the "before" variant loads from beside its infer-web.js. */
const JSEP_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'];

const requireHere = createRequire(import.meta.url);

/**
 * The page: loads `?lib=` with `?backend=`, generates one character (the first character's time
 * is recorded), then offers `__bench.run(n)` for the characters/s rounds.
 */
const BENCH_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>infer-web page bench</title>
<script type="module">
  const params = new URLSearchParams(location.search);
  const { CharGenerator } = await import('./' + params.get('lib') + '/infer-web.js');
  const gen = await CharGenerator.load('./model/${DEMO_MODEL_FILE}', { backend: params.get('backend'), seed: 1, logger: { warn: console.warn } });
  for await (const chunk of gen.generate('the meaning of ', { maxNewTokens: 1, temperature: 0.8 })) window.__firstChar = performance.now();
  window.__bench = {
    backend: gen.backend,
    run: async (n) => {
      const started = performance.now();
      const text = await gen.generate('', { maxNewTokens: n, temperature: 0.8 });
      if (text.length !== n) throw new Error('generated ' + text.length + ' characters, expected ' + n);
      return performance.now() - started;
    },
  };
</script>
`;

/** `import 'onnxruntime-web/wasm'` (and /jspi, /webgpu) → the default JSEP build, bundled in. */
const everyBuildIsJsep: Plugin = {
  name: 'every-build-is-jsep',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-web\/(wasm|jspi|webgpu)$/ }, (args) => b.resolve('onnxruntime-web', { kind: args.kind, resolveDir: args.resolveDir }));
  },
};

/** Builds the site: new/ (dist/browser as `nx run infer-web:bundle` makes it), before/, model/, index.html; every file with a .gz beside it. */
export async function buildBenchSite(siteDir: string): Promise<void> {
  await buildBrowserBundles({ outDir: join(siteDir, 'new'), examplesOutDir: join(siteDir, 'examples') });
  const before = join(siteDir, 'before');
  await mkdir(before, { recursive: true });
  await build({
    entryPoints: [join(PACKAGE_ROOT, 'src', 'web', 'script-tag.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outfile: join(before, 'infer-web.js'),
    absWorkingDir: PACKAGE_ROOT,
    logLevel: 'warning',
    // The "before" build imports onnxruntime-web statically, as it did, not lazily.
    plugins: [everyBuildIsJsep],
  });
  for (const name of JSEP_FILES) await copyFile(requireHere.resolve(`onnxruntime-web/${name}`), join(before, name));
  await mkdir(join(siteDir, 'model'), { recursive: true });
  await copyFile(join(DEMO_DIR, DEMO_MODEL_FILE), join(siteDir, 'model', DEMO_MODEL_FILE));
  await writeFile(join(siteDir, 'index.html'), BENCH_PAGE);
  await gzipTree(siteDir);
}

async function gzipTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await gzipTree(path);
    else if (!entry.name.endsWith('.gz') && !entry.name.endsWith('.map')) await writeFile(`${path}.gz`, gzipSync(await readFile(path), { level: 9 }));
  }
}

export interface Throttle {
  /** Download throughput in megabits per second. */
  mbps: number;
  /** Round-trip latency added to every request, ms. */
  latencyMs: number;
}

export interface FirstVisit {
  variant: Variant;
  backend: string;
  /** What the generator ended up on. */
  ranOn: string;
  throttle: Throttle | undefined;
  /** Bytes received before the first character (encoded: gzip where the server sent it; headers included). */
  bytes: number;
  /** Per file: bytes received. */
  files: Record<string, number>;
  firstCharMs: number;
}

/** A fresh context (empty caches) and its page, the network throttled if asked, collecting the page's errors. */
async function openVisit(browser: Browser, throttle?: Throttle): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (throttle !== undefined) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await emulate(cdp, throttle);
  }
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** Resource Timing's [url, transferSize] entries summed per file path ('' is index.html). */
function bytesByFile(entries: readonly (readonly [string, number])[]): Record<string, number> {
  const files: Record<string, number> = {};
  for (const [url, bytes] of entries) {
    const name = new URL(url).pathname.replace(/^\//, '') || 'index.html';
    files[name] = (files[name] ?? 0) + bytes;
  }
  return files;
}

const totalBytes = (files: Record<string, number>): number => Object.values(files).reduce((a, b) => a + b, 0);

/** One first visit: a fresh context (empty caches), the page until its first character. */
export async function firstVisit(browser: Browser, server: StaticServer, variant: Variant, backend: string, throttle?: Throttle): Promise<FirstVisit> {
  const { context, page, errors } = await openVisit(browser, throttle);
  try {
    await page.goto(new URL(`?lib=${variant}&backend=${backend}`, server.url).href);
    await page.waitForFunction(() => (window as unknown as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 300_000 });
    const { firstCharMs, ranOn, entries } = await page.evaluate(() => {
      const w = window as unknown as { __firstChar: number; __bench: { backend: string } };
      const timings = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')] as PerformanceResourceTiming[];
      // Only what had arrived by the first character.
      const entries = timings.filter((e) => e.responseEnd <= w.__firstChar).map((e) => [e.name, e.transferSize] as const);
      return { firstCharMs: w.__firstChar, ranOn: w.__bench.backend, entries };
    });
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
    const files = bytesByFile(entries);
    return { variant, backend, ranOn, throttle, bytes: totalBytes(files), files, firstCharMs };
  } finally {
    await context.close();
  }
}

async function emulate(cdp: CDPSession, throttle: Throttle): Promise<void> {
  const bytesPerSecond = (throttle.mbps * 1e6) / 8;
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: throttle.latencyMs,
    downloadThroughput: bytesPerSecond,
    uploadThroughput: bytesPerSecond,
  });
}

/**
 * Runs in the demo page before its scripts: presses Start the moment the generator is ready (the
 * earliest a visitor could) and records when it is ready and when its first character comes.
 */
function startWhenReady(): void {
  const w = window as unknown as { __readyAt?: number; __firstChar?: number };
  document.addEventListener(
    'ready',
    (event) => {
      const el = event.target as Element & { start(): Promise<unknown> };
      if (el.localName !== 'char-rnn-generator') return;
      w.__readyAt ??= performance.now();
      void el.start();
    },
    true,
  );
  document.addEventListener('token', () => (w.__firstChar ??= performance.now()), true);
}

export interface DemoVisit {
  throttle: Throttle | undefined;
  /** Bytes received before the first character (Resource Timing's transferSize: encoded bodies and headers; the proxy worker's own script included). */
  bytes: number;
  files: Record<string, number>;
  /** From navigation start: the generator ready (Start enabled), and its first character with Start pressed then. */
  readyMs: number;
  firstCharMs: number;
}

/**
 * One first visit to the demo page itself (`/` of the demo server): a fresh context, Start pressed
 * as soon as the generator is ready. Bytes from the page's Resource Timing, as firstVisit's (which
 * lists the proxy worker's script too; Playwright's request events missed the model's response).
 */
export async function demoFirstVisit(browser: Browser, server: StaticServer, throttle?: Throttle): Promise<DemoVisit> {
  const { context, page, errors } = await openVisit(browser, throttle);
  try {
    await page.addInitScript(startWhenReady);
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { __firstChar?: number }).__firstChar !== undefined, undefined, { timeout: 300_000 });
    const { readyMs, firstCharMs, entries } = await page.evaluate(() => {
      const w = window as unknown as { __readyAt: number; __firstChar: number };
      const timings = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')] as PerformanceResourceTiming[];
      const entries = timings.filter((e) => e.responseEnd <= w.__firstChar).map((e) => [e.name, e.transferSize] as const);
      return { readyMs: w.__readyAt, firstCharMs: w.__firstChar, entries };
    });
    if (errors.length > 0) throw new Error(`the demo page failed: ${errors.join('; ')}`);
    const files = bytesByFile(entries);
    return { throttle, bytes: totalBytes(files), files, readyMs, firstCharMs };
  } finally {
    await context.close();
  }
}

export interface SpeedRound {
  variant: Variant;
  /** By the wall clock. */
  charsPerSecond: number;
  /**
   * Per second of CPU time of all of Chromium's processes (CDP SystemInfo.getProcessInfo, 10 ms
   * resolution): steadier than the wall clock on a machine whose load comes and goes, since a
   * page waiting for a core spends none.
   */
  charsPerCpuSecond: number;
}

/**
 * Batch-1 characters/s on wasm: one page per variant, kept open; rounds alternate between them,
 * each `chars` characters after a warm-up, so the machine's load falls on both alike.
 */
export async function wasmSpeed(browser: Browser, server: StaticServer, rounds: number, chars: number): Promise<SpeedRound[]> {
  const cdp = await browser.newBrowserCDPSession();
  const cpuSeconds = async (): Promise<number> => {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { cpuTime: number }[] };
    return processInfo.reduce((sum, p) => sum + p.cpuTime, 0);
  };
  const pages = new Map<Variant, Page>();
  for (const variant of ['before', 'new'] as const) {
    const page = await browser.newPage();
    await page.goto(new URL(`?lib=${variant}&backend=wasm`, server.url).href);
    await page.waitForFunction(() => (window as unknown as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 300_000 });
    await runChars(page, Math.min(chars, 2000)); // warm-up: JIT, allocations
    pages.set(variant, page);
  }
  const out: SpeedRound[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always follows the other.
    const order: Variant[] = round % 2 === 0 ? ['before', 'new'] : ['new', 'before'];
    for (const variant of order) {
      const cpuBefore = await cpuSeconds();
      const ms = await runChars(pages.get(variant)!, chars);
      const cpu = (await cpuSeconds()) - cpuBefore;
      out.push({ variant, charsPerSecond: (chars * 1000) / ms, charsPerCpuSecond: chars / cpu });
    }
  }
  for (const page of pages.values()) await page.close();
  await cdp.detach();
  return out;
}

function runChars(page: Page, n: number): Promise<number> {
  return page.evaluate((count) => (window as unknown as { __bench: { run(n: number): Promise<number> } }).__bench.run(count), n);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function startBenchServer(siteDir: string): Promise<StaticServer> {
  await stat(join(siteDir, 'index.html'));
  return startStaticServer({ mounts: { '/': siteDir }, gzip: true });
}

export function loadAverage(): number {
  return Math.round(loadavg()[0] * 100) / 100;
}
