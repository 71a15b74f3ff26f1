/**
 * WebGPU for real: Debian's Chromium with SwiftShader's WebGPU adapter (on the CPU: correctness,
 * never speed), the script-tag build served from 127.0.0.1. Each model runs on onnxruntime's
 * native WebGPU provider, with its placement read from onnxruntime's own verbose log, and writes
 * the text the wasm build writes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CharGenerator } from '@charrnn/infer-web/node';
import { buildBrowserBundles } from '../../tools/bundle.js';
import { DEMO_DIR, DEMO_MODEL_FILE } from '../../tools/demo-server.js';
import { startStaticServer, type StaticServer } from '../../tools/static-server.js';
import type { GenerationOptions } from '../core/options.js';
import { ORT_WEB_BUILDS, type OrtWebBuild } from './ort-web-builds.js';
import { launchChromium, WEBGPU_ARGS } from '../../tools/chromium.js';
import { testModel } from '../test-helpers/models.js';

/** Texts compared per model: greedy, and seeded sampling with and without top-k. */
const SETTINGS: GenerationOptions[] = [
  { temperature: 0, maxNewTokens: 40 },
  { temperature: 0.8, seed: 3, maxNewTokens: 40 },
  { temperature: 1, topK: 5, seed: 11, maxNewTokens: 40 },
];
const PROMPT = 'the cat sat. ';
/**
 * Largest difference allowed between WebGPU's and wasm's hidden state and logits after the
 * prompt. SwiftShader's float math differs from wasm's in the last bits (measured at most 5.4e-7
 * in the state and 1.4e-6 in the logits, on the demo model); texts must be equal regardless.
 */
const STATE_TOLERANCE = 1e-5;

interface PageRun {
  backend: string;
  texts: string[];
  h: number[];
  logits: number[];
  messages: string[];
}

/** Loads `modelUrl` in the page with `backend`, primes PROMPT, then generates each setting from there. */
function runInPage(page: Page, modelUrl: string, backend: string, settings: GenerationOptions[] = SETTINGS): Promise<PageRun> {
  return page.evaluate(
    async ({ modelUrl, backend, settings, prompt }) => {
      const lib = (await import('/lib/infer-web.js' as string)) as typeof import('../index.js');
      const messages: string[] = [];
      const logger = { warn: (m: string) => messages.push(m), info: (m: string) => messages.push(m) };
      const gen = await lib.CharGenerator.load(modelUrl, { backend: backend as 'webgpu', logger });
      await gen.generate(prompt, { maxNewTokens: 0 });
      const primed = gen.getState({ encoding: 'array' });
      const texts: string[] = [];
      for (const options of settings) {
        gen.setState(primed);
        texts.push(await gen.generate('', options));
      }
      await gen.release();
      return { backend: gen.backend, texts, h: primed.h as number[], logits: primed.logits as number[], messages };
    },
    { modelUrl, backend, settings, prompt: PROMPT },
  );
}

/**
 * Where onnxruntime places the nodes of `modelUrl` under `backend`, from its own verbose log
 * (session_state.cc, VerifyEachNodeIsAssignedToAnEp): "All nodes placed on [P]. Number of nodes: n",
 * or one "Node(s) placed on [P]. Number of nodes: n" line per provider. Returns provider → nodes.
 * The session is only created (and its first step run), since every run is logged at this level.
 */
async function placementInPage(opened: { page: Page; console: string[] }, modelUrl: string, backend: string): Promise<Record<string, number>> {
  const from = opened.console.length;
  await opened.page.evaluate(
    async ({ modelUrl, backend }) => {
      const lib = (await import('/lib/infer-web.js' as string)) as typeof import('../index.js');
      const logger = { warn: () => undefined };
      const gen = await lib.CharGenerator.load(modelUrl, { backend: backend as 'webgpu', logger, sessionOptions: { logSeverityLevel: 0, logVerbosityLevel: 0 } });
      await gen.release();
    },
    { modelUrl, backend },
  );
  const out: Record<string, number> = {};
  for (const line of opened.console.slice(from)) {
    const m = /(?:All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (m !== null) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

/** What the Node entry (onnxruntime-node, CPU) writes for runInPage's prompt and settings. */
async function nodeTexts(model: Uint8Array): Promise<string[]> {
  const gen = await CharGenerator.load(model, { backend: 'cpu' });
  await gen.generate(PROMPT, { maxNewTokens: 0 });
  const primed = gen.getState();
  const texts: string[] = [];
  for (const options of SETTINGS) {
    gen.setState(primed);
    texts.push(await gen.generate('', options));
  }
  await gen.release();
  return texts;
}

function maxDifference(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);
}

describe('WebGPU in Chromium (SwiftShader)', () => {
  let tempDir: string;
  let server: StaticServer;
  let browser: Browser;

  const models: Record<string, Uint8Array> = {
    'gru-fused.onnx': testModel('gru'),
    'lstm-fused.onnx': testModel('lstm', { seed: 5 }),
    'gru-step.onnx': testModel('gru', { graph: 'step' }),
    'rnn-fused.onnx': testModel('rnn'),
  };

  beforeAll(async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'infer-web-webgpu-'));
    const browserDir = join(tempDir, 'browser');
    await buildBrowserBundles({ outDir: browserDir, examplesOutDir: join(tempDir, 'examples') });
    const siteDir = join(tempDir, 'site');
    await mkdir(siteDir);
    await writeFile(join(siteDir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>webgpu</title>');
    for (const [name, bytes] of Object.entries(models)) await writeFile(join(siteDir, name), bytes);
    server = await startStaticServer({ mounts: { '/': siteDir, '/lib/': browserDir, '/demo/': DEMO_DIR } });
    browser = await launchChromium(WEBGPU_ARGS);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  });

  interface OpenPage {
    page: Page;
    console: string[];
    errors: string[];
    /** onnxruntime-web's files fetched, by name. */
    ortRequests: string[];
  }

  async function open(options: { withoutJspi?: boolean } = {}): Promise<OpenPage> {
    const page = await browser.newPage();
    const opened: OpenPage = { page, console: [], errors: [], ortRequests: [] };
    page.on('console', (m) => opened.console.push(m.text()));
    page.on('pageerror', (e) => opened.errors.push(e.message));
    page.on('request', (r) => {
      const name = new URL(r.url()).pathname.split('/').pop() ?? '';
      if (name.startsWith('ort')) opened.ortRequests.push(name);
    });
    if (options.withoutJspi) {
      // A browser without JavaScript Promise Integration (Chromium < 137, Firefox, Safari): the
      // feature test infer-web and onnxruntime-web make then fails.
      await page.addInitScript(() => {
        const wasm = WebAssembly as unknown as Record<string, unknown>;
        delete wasm.Suspending;
        delete wasm.promising;
      });
    }
    await page.goto(server.url);
    return opened;
  }

  /** One page for most tests: each new page compiles onnxruntime's wasm again (seconds under load). */
  let shared: OpenPage;
  beforeAll(async () => {
    shared = await open();
  });

  test('SwiftShader gives this page a WebGPU adapter (the premise of every test below)', async () => {
    const { page } = shared;
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info: { architecture: string } } | null> } }).gpu;
      const found = await gpu?.requestAdapter();
      return { secure: isSecureContext, architecture: found?.info.architecture ?? null };
    });
    expect(adapter).toEqual({ secure: true, architecture: 'swiftshader' });
  });

  test.each([
    ['a fused GRU, 2 layers', '/gru-fused.onnx', 10],
    ['a fused LSTM, 2 layers', '/lstm-fused.onnx', 13],
    ['a step-graph GRU, 2 layers', '/gru-step.onnx', 34],
    ['the demo model (fused GRU 1×128)', `/demo/${DEMO_MODEL_FILE}`, 7],
  ])('%s: every node on WebGPU, and the text wasm writes (greedy and seeded)', async (_name, url, nodes) => {
    const opened = shared;
    const errors = opened.errors.length;
    // onnxruntime's own verbose log says where each node runs.
    expect(await placementInPage(opened, url, 'webgpu')).toEqual({ WebGpuExecutionProvider: nodes });
    const gpu = await runInPage(opened.page, url, 'webgpu');
    expect(gpu.backend).toBe('webgpu');
    const wasm = await runInPage(opened.page, url, 'wasm');
    expect(wasm.backend).toBe('wasm');
    expect(gpu.texts).toEqual(wasm.texts);
    expect(new Set(gpu.texts[1]).size).toBeGreaterThan(3);
    expect(maxDifference(gpu.h, wasm.h)).toBeLessThan(STATE_TOLERANCE);
    expect(maxDifference(gpu.logits, wasm.logits)).toBeLessThan(STATE_TOLERANCE);
    expect([gpu.messages, wasm.messages, opened.errors.slice(errors)]).toEqual([[], [], []]);
  });

  test.each([
    ['with JSPI: the jspi build', false, 'jspi'],
    ['without JSPI: the asyncify build', true, 'asyncify'],
  ] as const)("%s runs WebGPU and writes the Node entry's text; nothing else is fetched, never the JSEP build", async (_name, withoutJspi, build: OrtWebBuild) => {
    const opened = await open({ withoutJspi });
    const gpu = await runInPage(opened.page, '/gru-fused.onnx', 'webgpu');
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.texts).toEqual(await nodeTexts(models['gru-fused.onnx']));
    expect(opened.ortRequests.sort()).toEqual([ORT_WEB_BUILDS[build].bundled, ORT_WEB_BUILDS[build].wasm].sort());
    expect(opened.errors).toEqual([]);
    await opened.page.close();
  });

  test("'auto' takes WebGPU when onnxruntime runs the whole model there, wasm when it would not (ONNX RNN), and says which", async () => {
    const opened = shared;
    const errors = opened.errors.length;
    const greedy = SETTINGS.slice(0, 1);
    const gru = await runInPage(opened.page, '/gru-fused.onnx', 'auto', greedy);
    expect(gru.backend).toBe('webgpu');
    expect(gru.messages).toEqual([`@charrnn/infer-web: backend auto chose WebGPU (google swiftshader; onnxruntime-web's jspi build)`]);
    // onnxruntime 1.30's WebGPU provider has no RNN kernel: the fused RNN would run on the CPU.
    const rnn = await runInPage(opened.page, '/rnn-fused.onnx', 'auto', greedy);
    expect(rnn.backend).toBe('wasm');
    expect(rnn.messages).toEqual(["@charrnn/infer-web: backend auto chose wasm: onnxruntime-web's WebGPU provider would run part of this model on the CPU"]);
    // Forced, it runs so (its two RNN nodes on the CPU), and says so.
    expect(await placementInPage(opened, '/rnn-fused.onnx', 'webgpu')).toMatchObject({ CPUExecutionProvider: 2 });
    const forced = await runInPage(opened.page, '/rnn-fused.onnx', 'webgpu', greedy);
    expect(forced.backend).toBe('webgpu');
    expect(forced.messages).toEqual([expect.stringContaining("running it so, as backend 'webgpu' asks")]);
    expect(forced.texts).toEqual(rnn.texts);
    expect(opened.errors.slice(errors)).toEqual([]);
  });

  test('two generators loading and generating at once on a fresh page both end on WebGPU and write the same text: their sessions are created and run one at a time', async () => {
    // onnxruntime-web refuses a second WebGPU session while one is being created ("another WebGPU
    // EP inference session is being created"), and two sessions whose runs overlap hang. A fresh
    // page, so that neither load finds the runtime started; both loads, then both generations,
    // begun in the same task.
    const opened = await open();
    const out = await opened.page.evaluate(async () => {
      const lib = (await import('/lib/infer-web.js' as string)) as typeof import('../index.js');
      const messages: string[] = [];
      const logger = { warn: (m: string) => messages.push(m), info: (m: string) => messages.push(m) };
      const load = (url: string) => lib.CharGenerator.load(url, { backend: 'auto', logger });
      const gens = await Promise.all([load('/gru-fused.onnx'), load('/gru-step.onnx')]);
      const texts = await Promise.all(gens.map((g) => g.generate('the cat', { maxNewTokens: 20, temperature: 0 })));
      const backends = gens.map((g) => g.backend);
      await Promise.all(gens.map((g) => g.release()));
      return { backends, texts, messages };
    });
    expect(out.backends).toEqual(['webgpu', 'webgpu']);
    expect(out.messages).toEqual([`@charrnn/infer-web: backend auto chose WebGPU (google swiftshader; onnxruntime-web's jspi build)`]);
    // The fused and the step graph of one model write one text (the Node entry's, checked above).
    expect(out.texts[0]).toBe(out.texts[1]);
    expect(out.texts[0]).toHaveLength(20);
    expect(opened.errors).toEqual([]);
    await opened.page.close();
  }, 120_000);

  test('with cache, a second visit on WebGPU requests neither the model nor the jspi runtime', async () => {
    const context = await browser.newContext();
    const visit = async (): Promise<{ backend: string; text: string; requests: string[] }> => {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(new URL(r.url()).pathname));
      await page.goto(server.url);
      const out = await page.evaluate(async () => {
        const lib = (await import('/lib/infer-web.js' as string)) as typeof import('../index.js');
        const gen = await lib.CharGenerator.load('/gru-fused.onnx', { backend: 'webgpu', cache: true });
        const text = await gen.generate('the cat', { maxNewTokens: 20, temperature: 0 });
        await gen.release();
        return { backend: gen.backend, text };
      });
      await page.close();
      return { ...out, requests: requests.filter((r) => r.endsWith('.onnx') || r.endsWith('.wasm')).sort() };
    };
    const first = await visit();
    expect(first).toMatchObject({ backend: 'webgpu', requests: ['/gru-fused.onnx', `/lib/${ORT_WEB_BUILDS.jspi.wasm}`] });
    expect(await visit()).toEqual({ ...first, requests: [] });
    await context.close();
  });

  test("the element on 'auto' runs the demo model on WebGPU and writes the Node entry's text", async () => {
    const opened = shared;
    const errors = opened.errors.length;
    const detail = await opened.page.evaluate(async (src) => {
      await import('/lib/infer-web.js' as string);
      const el = document.createElement('char-rnn-generator');
      for (const [k, v] of Object.entries({ src, prompt: 'the meaning of ', 'max-length': '80', temperature: '0.8', 'top-k': '20', seed: '1' })) el.setAttribute(k, v);
      document.body.append(el);
      await (el as unknown as { ready: Promise<void> }).ready;
      const result = await (el as unknown as { start(): Promise<{ text: string }> }).start();
      return { text: result.text, status: el.shadowRoot!.querySelector('[part~=status]')!.textContent };
    }, `/demo/${DEMO_MODEL_FILE}`);
    const node = await CharGenerator.load(join(DEMO_DIR, DEMO_MODEL_FILE), { backend: 'cpu', seed: 1 });
    const expected = await node.generate('the meaning of ', { maxNewTokens: 80, temperature: 0.8, topK: 20 });
    await node.release();
    expect(detail).toEqual({ text: expected, status: 'Ready: GRU 1×128, 55 characters, on webgpu.' });
    expect(opened.errors.slice(errors)).toEqual([]);
  });
});
