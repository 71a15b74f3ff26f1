/**
 * Real-browser tests: Debian's Chromium (never a downloaded browser) driven by playwright-core,
 * pages served from 127.0.0.1 by tools/static-server. The browser builds are made here with
 * esbuild's JS API, so the test needs no earlier build step.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { CharGenerator } from '@charrnn/infer-web/node';
import { buildBrowserBundles, BUNDLER_FILE, ORT_FILES, PACKAGE_ROOT, STANDALONE_FILE, type BundleReport } from '../../../tools/bundle.js';
import { formatBytes, readSizeTable } from '../../../tools/size-table.js';
import { DEMO_DIR, DEMO_MODEL_FILE, EXAMPLES_DIR, startDemoServer } from '../../../tools/demo-server.js';
import { startStaticServer, type StaticServer } from '../../../tools/static-server.js';
import { ORT_WEB_BUILDS } from '../ort-web-builds.js';
import { writeCompressed } from '../../node/web-files.js';
import { launchChromium } from '../../../tools/chromium.js';
import { testModel } from '../../test-helpers/models.js';
import { DESKTOP, PHONE, SCREENSHOT_DIR, sidewaysView, viewAs } from '../../../tools/visitor-view.js';

const MODEL_PATH = join(DEMO_DIR, DEMO_MODEL_FILE);
const WAIT_MS = 30_000;

interface RecordedEvent {
  type: string;
  id: string;
  detail: unknown;
}
interface DoneDetail {
  text: string;
  newTokens: number;
  finishReason: string;
}

/** Runs in the page before its scripts: records the element's events (they bubble and are composed). */
function recordElementEvents(): void {
  const events: RecordedEvent[] = [];
  (window as unknown as { __events: RecordedEvent[] }).__events = events;
  for (const type of ['progress', 'ready', 'token', 'done', 'error']) {
    document.addEventListener(
      type,
      (event) => {
        const target = event.target as Element;
        if (!(event instanceof CustomEvent) || target.localName !== 'char-rnn-generator') return;
        const detail = type === 'error' ? (event.detail as { message: string }).message : type === 'ready' ? null : event.detail;
        events.push({ type, id: target.id, detail });
      },
      true,
    );
  }
}

/** What the Node entry (onnxruntime-node) generates from the same model file. */
async function nodeText(loadSeed: number | undefined, prompt: string, options: { maxNewTokens: number; temperature: number; topK?: number; seed?: number }): Promise<string> {
  const gen = await CharGenerator.load(MODEL_PATH, { backend: 'cpu', seed: loadSeed });
  const { maxNewTokens, temperature, topK, seed } = options;
  try {
    return await gen.generate(prompt, { maxNewTokens, temperature, topK, seed });
  } finally {
    await gen.release();
  }
}

/** The element's settings as the Node entry takes them. */
async function elementSettings(page: Page, selector: string) {
  return page.$eval(selector, (el) => ({
    prompt: el.getAttribute('prompt') ?? '\n',
    seed: Number(el.getAttribute('seed')),
    options: {
      maxNewTokens: Number(el.getAttribute('max-length')),
      temperature: Number(el.getAttribute('temperature')),
      topK: Number(el.getAttribute('top-k') ?? 0),
    },
  }));
}

function events(page: Page, type: string, id = ''): Promise<RecordedEvent[]> {
  return page.evaluate(
    ([t, i]) => (window as unknown as { __events: RecordedEvent[] }).__events.filter((e) => e.type === t && (i === '' || e.id === i)),
    [type, id] as const,
  );
}

async function waitForEvents(page: Page, type: string, id: string, count: number): Promise<RecordedEvent[]> {
  await page.waitForFunction(
    ([t, i, n]) => (window as unknown as { __events: RecordedEvent[] }).__events.filter((e) => e.type === t && e.id === i).length >= n,
    [type, id, count] as const,
    { timeout: WAIT_MS },
  );
  return events(page, type, id);
}

describe('in Chromium', () => {
  let tempDir: string;
  let browserDir: string;
  let report: BundleReport;
  let server: StaticServer;
  let browser: Browser;
  let pageErrors: string[];
  /** onnxruntime-web's files the page fetched (names only). */
  let ortRequests: string[];

  beforeAll(async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'infer-web-browser-'));
    browserDir = join(tempDir, 'browser');
    const examplesOutDir = join(tempDir, 'examples');
    report = await buildBrowserBundles({ outDir: browserDir, examplesOutDir });
    // The demo server sends precompressed siblings; our script's (small: brotli 11 over the runtimes takes a minute) shows it.
    await writeCompressed(join(browserDir, STANDALONE_FILE));
    // The training page's site stands in as a page of its own: the test checks the demo reaches it.
    const trainSiteDir = join(tempDir, 'train');
    await mkdir(trainSiteDir);
    await writeFile(join(trainSiteDir, 'index.html'), '<!doctype html><title>training page</title><a href="../">back</a>');
    server = await startDemoServer({ browserDir, examplesOutDir, trainSiteDir });
    // No WebGPU adapter in this browser: 'auto' is wasm, and no WebGPU build may be fetched.
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    pageErrors = [];
    ortRequests = [];
    page.on('request', (request) => {
      const name = new URL(request.url()).pathname.split('/').pop() ?? '';
      if (name.startsWith('ort')) ortRequests.push(name);
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.addInitScript(recordElementEvents);
    await page.goto(new URL(path, server.url).href);
    return page;
  }

  test("the site folder: our code is small and holds onnxruntime-web's wasm and native-WebGPU builds, never the JSEP one", async () => {
    // Ours (minified, gzip) stays small; onnxruntime-web stays in files of its own.
    expect(report.ours.gzipBytes).toBeGreaterThan(1_000);
    expect(report.ours.gzipBytes).toBeLessThan(22_000);
    expect(report.standalone.bytes).toBeLessThan(report.ours.bytes * 1.1);
    const files = (await readdir(browserDir)).filter((f) => !/\.(map|br|gz)$/.test(f)).sort();
    expect(files).toEqual([STANDALONE_FILE, BUNDLER_FILE, ...ORT_FILES].sort());
    expect(files.some((f) => f.includes('jsep'))).toBe(false);
    for (const name of ORT_FILES) {
      const copied = await stat(join(browserDir, name));
      expect(copied.size).toBe(report.ortFiles.find((f) => f.file === name)!.bytes);
    }
    // The bundler build leaves each build to the app's bundler; the script-tag build imports the copies beside it.
    const bundlerBuild = await readFile(join(browserDir, BUNDLER_FILE), 'utf8');
    const standalone = await readFile(join(browserDir, STANDALONE_FILE), 'utf8');
    for (const { specifier, bundled } of Object.values(ORT_WEB_BUILDS)) {
      expect(bundlerBuild).toContain(`import("${specifier}")`);
      expect(standalone).toContain(`import("./${bundled}")`);
    }
    expect(bundlerBuild).not.toMatch(/from\s*"onnxruntime-web|import\("onnxruntime-web"\)/);
    expect(standalone).not.toMatch(/from\s*"onnxruntime-web|import\("onnxruntime-web/);
  });

  test("the README's size table is the bundle command's for this onnxruntime-web, and not stale for our code", async () => {
    const table = readSizeTable(await readFile(join(PACKAGE_ROOT, 'README.md'), 'utf8'));
    expect([...table.keys()].sort()).toEqual([STANDALONE_FILE, BUNDLER_FILE, ...ORT_FILES].sort());
    // onnxruntime-web's files exactly (gzip of the .wasm only when the command measured it: seconds).
    for (const f of report.ortFiles) {
      expect({ file: f.file, raw: table.get(f.file)![0] }).toEqual({ file: f.file, raw: formatBytes(f.bytes) });
      if (f.gzipBytes > 0) expect({ file: f.file, gzip: table.get(f.file)![1] }).toEqual({ file: f.file, gzip: formatBytes(f.gzipBytes) });
    }
    // Ours moves with every change: within 15% of a fresh build, else run `nx run infer-web:bundle`.
    for (const f of [report.standalone, report.ours]) {
      const written = Number(table.get(f.file)![0].replace(' KB', '')) * 1e3;
      expect({ file: f.file, ratio: Math.round((written / f.bytes) * 100) / 100 }).toEqual({ file: f.file, ratio: expect.closeTo(1, 0.15) as unknown as number });
    }
  });

  test("the README's snippets are the example files these tests serve", async () => {
    const readme = await readFile(join(PACKAGE_ROOT, 'README.md'), 'utf8');
    for (const name of ['script-tag.html', 'import.js', 'element.html']) {
      const example = (await readFile(join(EXAMPLES_DIR, name), 'utf8')).trim();
      expect({ name, inReadme: readme.includes(example) }).toEqual({ name, inReadme: true });
    }
  });

  test.each([
    ['script tag: infer-web.js and the builds beside it', 'examples/script-tag.html'],
    ['import: bundled with onnxruntime-web from node_modules, wasmPaths', 'examples/import.html'],
  ])('%s writes the same text as the Node entry for the same seed', async (_name, path) => {
    const expected = await nodeText(undefined, 'the meaning of ', { maxNewTokens: 300, temperature: 0.8, seed: 1 });
    expect(expected.length).toBeGreaterThanOrEqual(300);
    const page = await open(path);
    await page.waitForFunction((n) => (document.querySelector('#out')?.textContent ?? '').length >= n, expected.length, { timeout: WAIT_MS });
    expect(await page.textContent('#out')).toBe(expected);
    // Lazy loading: the wasm build and its runtime only (its loader too when wasmPaths is a prefix).
    // A bundler's chunk of a build is named after it (ort.wasm.bundle.min-HASH.js).
    const wasm = ORT_WEB_BUILDS.wasm;
    const expectedRequests = path.includes('import') ? [wasm.bundled, wasm.loader, wasm.wasm] : [wasm.bundled, wasm.wasm];
    expect(ortRequests.map((r) => r.replace(/-[A-Z0-9]+\.js$/, '.mjs')).sort()).toEqual(expectedRequests.sort());
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('element example: streams text into its shadow DOM, fires done, same text as the Node entry', async () => {
    const page = await open('examples/element.html');
    const [done] = await waitForEvents(page, 'done', '', 1);
    const settings = await elementSettings(page, 'char-rnn-generator');
    const expected = await nodeText(settings.seed, settings.prompt, settings.options);
    expect((done.detail as DoneDetail).text).toBe(expected);
    expect(done.detail).toMatchObject({ newTokens: 300, finishReason: 'length' });
    // Load progress counts the model and the wasm runtime, which infer-web downloads beside it (and
    // onnxruntime-web then does not: the wasm was requested once, see ortRequests); ready came before the first token.
    const bytes = (await stat(MODEL_PATH)).size + (await stat(join(browserDir, ORT_WEB_BUILDS.wasm.wasm))).size;
    const progress = (await events(page, 'progress')).map((e) => e.detail as { loaded: number; total: number });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toEqual({ loaded: bytes, total: bytes });
    expect(ortRequests.filter((r) => r.endsWith('.wasm'))).toEqual([ORT_WEB_BUILDS.wasm.wasm]);
    expect(progress.every((p, i) => i === 0 || p.loaded >= progress[i - 1].loaded)).toBe(true);
    const order = await page.evaluate(() => (window as unknown as { __events: RecordedEvent[] }).__events.map((e) => e.type));
    expect(order.indexOf('ready')).toBeGreaterThan(order.lastIndexOf('progress'));
    expect(order.indexOf('ready')).toBeLessThan(order.indexOf('token'));
    // Streamed: one token event per character, and the shadow DOM shows prompt + text.
    expect((await events(page, 'token')).map((e) => (e.detail as { text: string }).text).join('')).toBe(expected);
    expect(await page.textContent('char-rnn-generator [part~=output]')).toBe(settings.prompt + expected);
    expect(await page.$eval('char-rnn-generator', (el) => el.getAttribute('status'))).toBe('ready');
    // No GPU here: onnxruntime-web's wasm provider ran the fused GRU.
    expect(await page.textContent('char-rnn-generator [part~=status]')).toBe('Ready: GRU 1×128, 55 characters, on wasm.');
    // Styled from outside through a custom property.
    const accent = await page.$eval('char-rnn-generator', (el) => getComputedStyle(el.shadowRoot!.querySelector('[part~=start]')!).backgroundColor);
    expect(accent).toBe('rgb(11, 122, 117)');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test("demo page for visitors: one generator with its own controls, one model download, links to the training page and the developers' page", async () => {
    const modelRequests: string[] = [];
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (r) => new URL(r.url()).pathname.endsWith('.onnx') && modelRequests.push(new URL(r.url()).pathname));
    const encodings = new Map<string, string | undefined>();
    page.on('response', (r) => encodings.set(new URL(r.url()).pathname, r.headers()['content-encoding']));
    await page.addInitScript(recordElementEvents);
    await page.addInitScript(() => {
      const shifts: string[] = [];
      (window as unknown as { __shifts: string[] }).__shifts = shifts;
      new PerformanceObserver((list) => {
        // The page's own nodes; a shift inside the element's shadow tree has none (its status line
        // may wrap to a second line at "Ready", depending on whether a frame showed the line before: 0.003).
        for (const e of list.getEntries() as unknown as { value: number; sources: { node: Node | null }[] }[]) {
          const nodes = e.sources.flatMap((s) => (s.node ? [s.node.nodeName] : []));
          if (nodes.length > 0) shifts.push(`${e.value.toFixed(4)} ${nodes.join(' ')}`);
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto(server.url);
    expect(await page.$$eval('char-rnn-generator', (els) => els.map((el) => el.hasAttribute('controls')))).toEqual([true]);
    await page.waitForFunction(() => document.querySelector('char-rnn-generator')?.getAttribute('status') === 'ready', undefined, { timeout: WAIT_MS });
    // Nothing of the page moved while it loaded and the generator rendered (layout shift; the links below it once did, 0.086).
    expect(await page.evaluate(() => (window as unknown as { __shifts: string[] }).__shifts)).toEqual([]);
    await page.$eval('char-rnn-generator', (el) => el.setAttribute('seed', '3'));
    await page.getByLabel('Prompt').fill('the will to ');
    await page.getByLabel('Length').fill('120');
    await page.getByRole('button', { name: 'Start' }).click();
    const [done] = await waitForEvents(page, 'done', 'generator', 1);
    const settings = await elementSettings(page, 'char-rnn-generator');
    expect(settings).toMatchObject({ prompt: 'the will to ', seed: 3, options: { maxNewTokens: 120, temperature: 0.7, topK: 20 } });
    expect((done.detail as DoneDetail).text).toBe(await nodeText(3, settings.prompt, settings.options));
    expect(modelRequests).toEqual(['/nietzsche-gru.onnx']);
    // Its `worker` attribute: onnxruntime-web ran in its proxy worker (started from its build's own URL), the same text as Node's.
    expect(page.workers().map((w) => new URL(w.url()).pathname)).toEqual([`/lib/${ORT_WEB_BUILDS.wasm.bundled}`]);
    // Served cross-origin isolated: onnxruntime-web's probe of SharedArrayBuffer is no deprecated use.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // A file with a .br beside it went as brotli; one without, as it is.
    expect([encodings.get('/lib/infer-web.js'), encodings.get('/lib/ort-wasm-simd-threaded.wasm')]).toEqual(['br', undefined]);
    // Nothing wider than a phone's screen or a laptop's, with the text written; both kept as screenshots.
    for (const viewport of [PHONE, DESKTOP]) {
      const view = await viewAs(page, 'demo', viewport);
      expect({ ...viewport, protruding: view.protruding, scrolls: view.scrollWidth > view.innerWidth }).toEqual({ ...viewport, protruding: [], scrolls: false });
    }
    // To the training page and back; to the developers' page and back.
    await page.getByRole('link', { name: /train your own model/i }).click();
    await page.waitForURL(new URL('train/', server.url).href);
    expect(await page.title()).toBe('training page');
    await page.getByRole('link', { name: 'back' }).click();
    await page.waitForURL(server.url);
    await page.getByRole('link', { name: /for developers/i }).click();
    await page.waitForURL(new URL('api.html', server.url).href);
    await page.getByRole('link', { name: /back to the demo/i }).click();
    await page.waitForURL(server.url);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('the sideways check finds an element wider than a phone, in the page or a shadow root, and not one scrolled inside its box', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.setContent(`<!doctype html><body style="margin: 8px">
      <div id="wide" style="width: 500px">a table too wide</div>
      <div style="overflow-x: auto; width: 300px"><pre id="scrolled" style="width: 900px">a code block that scrolls in its box</pre></div>
      <p id="hidden" style="visibility: hidden; width: 800px">hidden</p>
      <div id="host"></div>
      <script>document.querySelector('#host').attachShadow({ mode: 'open' }).innerHTML = '<p part="tip" style="margin: 0 0 0 350px; width: 100px">past the edge</p>';</script>`);
    // The hidden paragraph is not listed (nobody sees it) but still widens the page: scrollWidth tells.
    expect(await sidewaysView(page)).toEqual({
      innerWidth: 390,
      scrollWidth: 808,
      protruding: [
        { element: 'div#wide', left: 8, right: 508 },
        { element: 'div#host >> p[part=tip]', left: 358, right: 458 },
      ],
    });
    await page.close();
  });

  test("developers' page: a model that fails to load is said in the library panel, not left at Loading", async () => {
    const page = await open('api.html?model=/missing-model.onnx');
    await page.waitForSelector('#api-status[data-error]', { timeout: WAIT_MS });
    expect(await page.textContent('#api-status')).toMatch(/^Could not load the model: .*missing-model\.onnx.*HTTP 404/);
    expect(await page.$eval('#api-generate', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.close();
  });

  test("developers' page: the element and the library API generate; stop and reset work", async () => {
    const page = await open('api.html');
    await page.waitForFunction(() => document.querySelector('#element')?.getAttribute('status') === 'ready', undefined, { timeout: WAIT_MS });
    const settings = await elementSettings(page, '#element');
    const expected = await nodeText(settings.seed, settings.prompt, settings.options);

    // Start → done with max-length characters, equal to the Node entry's text.
    await page.click('#element [data-action=start]');
    let done = await waitForEvents(page, 'done', 'element', 1);
    expect(done[0].detail).toMatchObject({ text: expected, finishReason: 'length', newTokens: settings.options.maxNewTokens });
    expect(await page.$eval('#element [data-action=start]', (b) => b.textContent)).toBe('Continue');

    // The library side of the page, with its own form settings.
    await page.click('#api-generate');
    await page.waitForSelector('#api-output[data-done]', { timeout: WAIT_MS });
    const apiExpected = await nodeText(undefined, 'the meaning of life is ', { maxNewTokens: 400, temperature: 0.7, topK: 20, seed: 42 });
    expect(await page.textContent('#api-output')).toBe('the meaning of life is ' + apiExpected);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'api-1280x900.png'), fullPage: true });

    // Stop: a long run ends early with finishReason 'abort'.
    await page.click('#element [data-action=reset]');
    expect(await page.$eval('#element', (el) => el.shadowRoot!.querySelector('[part~=output]')!.textContent)).toBe('');
    await page.$eval('#element', (el) => el.setAttribute('max-length', '100000'));
    const tokensBefore = (await events(page, 'token', 'element')).length;
    await page.click('#element [data-action=start]');
    await waitForEvents(page, 'token', 'element', tokensBefore + 50);
    await page.click('#element [data-action=stop]');
    done = await waitForEvents(page, 'done', 'element', 2);
    const stopped = done[1].detail as DoneDetail;
    expect(stopped.finishReason).toBe('abort');
    expect(stopped.newTokens).toBeGreaterThanOrEqual(50);
    expect(stopped.newTokens).toBeLessThan(100000);
    // The stopped run began like the first one (reset restored the seeded state).
    expect(stopped.text.slice(0, 50)).toBe(expected.slice(0, 50));

    // Reset: the text is gone and the seeded model replays the first run exactly.
    await page.click('#element [data-action=reset]');
    expect(await page.$eval('#element', (el) => (el as unknown as { text: string }).text)).toBe('');
    await page.$eval('#element', (el) => el.setAttribute('max-length', '400'));
    await page.click('#element [data-action=start]');
    done = await waitForEvents(page, 'done', 'element', 3);
    expect((done[2].detail as DoneDetail).text).toBe(expected);

    // A new seed takes effect at the next fresh run, and matches Node with that seed.
    await page.fill('#element-settings [data-attr=seed]', '7');
    await page.click('#element [data-action=reset]');
    await page.click('#element [data-action=start]');
    done = await waitForEvents(page, 'done', 'element', 4);
    const reseeded = await nodeText(7, settings.prompt, settings.options);
    expect(reseeded).not.toBe(expected);
    expect((done[3].detail as DoneDetail).text).toBe(reseeded);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test.each(['gru', 'lstm'] as const)('a float16 %s model generates in the page what the Node entry generates', async (arch) => {
    const model = testModel(arch, { fp16: true, seed: { gru: 1, lstm: 5 }[arch] });
    const settings = [
      { temperature: 0, maxNewTokens: 40 },
      { temperature: 0.8, maxNewTokens: 40, seed: 3 },
    ];
    const expected: string[] = [];
    const node = await CharGenerator.load(model, { backend: 'cpu' });
    for (const options of settings) expected.push(await node.generate('the cat sat. ', options));
    await node.release();
    const page = await open('examples/script-tag.html');
    // onnxruntime-web's wasm runs one session at a time: let the page's own generation finish first.
    await page.waitForFunction(() => (document.querySelector('#out')?.textContent ?? '').length >= 300, undefined, { timeout: WAIT_MS });
    const result = await page.evaluate(
      async ({ bytes, settings }) => {
        const lib = (await import('/lib/infer-web.js' as string)) as typeof import('../../index.js');
        const gen = await lib.CharGenerator.load(Uint8Array.from(bytes));
        const texts: string[] = [];
        for (const options of settings) texts.push(await gen.generate('the cat sat. ', options));
        return { texts, precision: gen.info.precision, backend: gen.backend };
      },
      { bytes: [...model], settings },
    );
    expect(result).toEqual({ texts: expected, precision: 'float16', backend: 'wasm' });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('option cache / attribute cache: a second visit requests neither the model nor the runtime', async () => {
    const context = await browser.newContext(); // its own, empty Cache Storage
    const blank = new URL('blank.html', server.url).href;
    const visit = async (how: 'library' | 'element' | 'no cache'): Promise<{ text: string; requests: string[] }> => {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(new URL(r.url()).pathname));
      await page.route(blank, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8">' }));
      await page.goto(blank);
      const text = await page.evaluate(async (how) => {
        const lib = (await import('/lib/infer-web.js' as string)) as typeof import('../../index.js');
        if (how === 'element') {
          const el = document.createElement('char-rnn-generator') as import('./char-rnn-generator.js').CharRnnGeneratorElement;
          for (const [k, v] of Object.entries({ src: '/nietzsche-gru.onnx', cache: '', backend: 'wasm', prompt: 'the ', 'max-length': '40', temperature: '0.8', seed: '1' })) el.setAttribute(k, v);
          document.body.append(el);
          await el.ready;
          return (await el.start())!.text;
        }
        const gen = await lib.CharGenerator.load('/nietzsche-gru.onnx', { backend: 'wasm', seed: 1, cache: how === 'library' });
        return gen.generate('the ', { maxNewTokens: 40, temperature: 0.8 });
      }, how);
      await page.close();
      return { text, requests };
    };
    const big = (requests: string[]) => requests.filter((r) => r === '/nietzsche-gru.onnx' || r.endsWith('.wasm')).sort();
    const first = await visit('library');
    expect(big(first.requests)).toEqual(['/lib/ort-wasm-simd-threaded.wasm', '/nietzsche-gru.onnx']);
    // The later visits: the same text, and the model and runtime from the cache (the server sends
    // no-store, so without it each visit downloads both again, as the last one shows).
    for (const how of ['library', 'element'] as const) {
      const again = await visit(how);
      expect({ how, text: again.text, requests: big(again.requests) }).toEqual({ how, text: first.text, requests: [] });
    }
    const uncached = await visit('no cache');
    expect(big(uncached.requests)).toEqual(['/lib/ort-wasm-simd-threaded.wasm', '/nietzsche-gru.onnx']);
    await context.close();
  });

  test('a model that cannot be loaded shows the error state, not a blank element', async () => {
    const page = await open('examples/element.html');
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.evaluate(() => {
      for (const [id, src] of [['missing', '/missing-model.onnx'], ['not-onnx', '/examples/element.html']]) {
        const el = document.createElement('char-rnn-generator');
        el.id = id;
        el.setAttribute('src', src);
        document.body.append(el);
      }
    });
    const [missing] = await waitForEvents(page, 'error', 'missing', 1);
    const [notOnnx] = await waitForEvents(page, 'error', 'not-onnx', 1);
    expect(missing.detail).toMatch(/missing-model\.onnx.*HTTP 404/);
    // Chromium's fetch, not Node's: the page is named for what it is, with its content-type.
    expect(notOnnx.detail).toMatch(/element\.html starts with `<!doctype html>`, content-type text\/html.*: not an ONNX file \(a web page: use the URL of the file itself\)/i);
    for (const id of ['missing', 'not-onnx']) {
      const view = await page.$eval(`#${id}`, (el) => {
        const status = el.shadowRoot!.querySelector('[part~=status]') as HTMLElement;
        return {
          status: el.getAttribute('status'),
          message: status.textContent,
          visible: status.getBoundingClientRect().height > 0,
          color: getComputedStyle(status).color,
          startDisabled: (el.shadowRoot!.querySelector('[part~=start]') as HTMLButtonElement).disabled,
        };
      });
      expect(view).toMatchObject({ status: 'error', visible: true, color: 'rgb(176, 0, 32)', startDisabled: true });
    }
    // Plain words for the visitor; the developer's message (the event's) behind a disclosure; Retry.
    const shown = (id: string) =>
      page.$eval(`#${id}`, (el) => {
        const root = el.shadowRoot!;
        const details = root.querySelector('[part~=details]') as HTMLDetailsElement;
        const retry = root.querySelector('[part~=retry]') as HTMLButtonElement;
        return {
          message: root.querySelector('[part~=status]')!.textContent,
          live: root.querySelector('[part~=status]')!.getAttribute('aria-live'),
          details: details.hidden ? null : details.querySelector('pre')!.textContent,
          retry: retry.hidden ? null : retry.textContent,
        };
      });
    expect(await shown('missing')).toEqual({
      message: 'Could not load the model: the site has no model file at this address.',
      live: 'polite',
      details: missing.detail,
      retry: 'Retry',
    });
    expect(await shown('not-onnx')).toEqual({
      message: 'Could not load the model: the file is not a model this generator can run.',
      live: 'polite',
      details: notOnnx.detail,
      retry: 'Retry',
    });
    // Retry loads again: a model that failed once (HTTP 503) and is there now.
    let flakyRequests = 0;
    await page.route('**/flaky-model.onnx', async (route) => {
      flakyRequests++;
      if (flakyRequests === 1) await route.fulfill({ status: 503, body: 'busy' });
      else await route.fulfill({ contentType: 'application/octet-stream', body: await readFile(MODEL_PATH) });
    });
    await page.evaluate(() => {
      const el = document.createElement('char-rnn-generator');
      el.id = 'flaky';
      el.setAttribute('src', '/flaky-model.onnx');
      document.body.append(el);
    });
    const [flaky] = await waitForEvents(page, 'error', 'flaky', 1);
    expect(flaky.detail).toMatch(/HTTP 503/);
    expect(await shown('flaky')).toMatchObject({ message: 'Could not load the model: the download failed. Check the connection, then press Retry.', retry: 'Retry' });
    await page.focus('#flaky [data-action=retry]');
    await page.keyboard.press('Enter');
    await waitForEvents(page, 'ready', 'flaky', 1);
    expect({ requests: flakyRequests, ...(await shown('flaky')) }).toMatchObject({ requests: 2, details: null, retry: null });
    await page.locator('#missing').screenshot({ path: join(SCREENSHOT_DIR, 'element-error.png') });
    // Pointing src at a good model leaves the error state.
    await page.$eval('#missing', (el) => el.setAttribute('src', '/nietzsche-gru.onnx'));
    await waitForEvents(page, 'ready', 'missing', 1);
    expect(await page.$eval('#missing', (el) => [el.getAttribute('status'), (el.shadowRoot!.querySelector('[part~=start]') as HTMLButtonElement).disabled])).toEqual(['ready', false]);

    // A generation that fails shows the error state, and Reset leads back to ready without a reload.
    const buttons = (id: string) =>
      page.$eval(`#${id}`, (el) => [
        el.getAttribute('status'),
        ...['start', 'reset'].map((part) => (el.shadowRoot!.querySelector(`[part~=${part}]`) as HTMLButtonElement).disabled),
      ]);
    await page.$eval('#missing', (el) => {
      const gen = (el as unknown as { generator: { generate: () => never } }).generator;
      gen.generate = () => {
        throw new Error('simulated runtime failure');
      };
    });
    await page.click('#missing [data-action=start]');
    const [, failed] = await waitForEvents(page, 'error', 'missing', 2);
    expect(failed.detail).toBe('Generation failed: simulated runtime failure');
    expect(await buttons('missing')).toEqual(['error', true, false]);
    expect(await shown('missing')).toMatchObject({ message: 'Generation stopped with an error. Press Reset to start again.', details: failed.detail, retry: null });
    await page.$eval('#missing', (el) => {
      delete (el as unknown as { generator: { generate?: unknown } }).generator.generate;
    });
    await page.click('#missing [data-action=reset]');
    expect(await buttons('missing')).toEqual(['ready', false, false]);
    await page.$eval('#missing', (el) => el.setAttribute('max-length', '5'));
    await page.click('#missing [data-action=start]');
    const [recovered] = await waitForEvents(page, 'done', 'missing', 1);
    expect((recovered.detail as DoneDetail).newTokens).toBe(5);
    // 404 and 503 are logged by the browser itself as failed resources; nothing else went wrong.
    expect(pageErrors.filter((m) => !/404|503/.test(m))).toEqual([]);
    await page.close();
  });

  test("infer-web.js copied without onnxruntime-web's files, or without its .wasm, fails naming charrnn-web-files; the copied folder runs", async () => {
    // As a site copying the published dist/browser/ alone would be: onnxruntime-web's files are not in the package.
    const site = join(tempDir, 'missing-runtime');
    await mkdir(join(site, 'lib'), { recursive: true });
    await mkdir(join(site, 'no-wasm'), { recursive: true });
    for (const name of [STANDALONE_FILE, `${STANDALONE_FILE}.map`]) await copyFile(join(browserDir, name), join(site, 'lib', name));
    for (const name of [STANDALONE_FILE, ORT_WEB_BUILDS.wasm.bundled]) await copyFile(join(browserDir, name), join(site, 'no-wasm', name));
    await writeFile(
      join(site, 'index.html'),
      `<!doctype html><script type="module">
        const params = new URLSearchParams(location.search);
        const { BackendUnavailableError, CharGenerator } = await import(params.get('lib') + 'infer-web.js');
        const wasmPaths = params.get('wasmPaths') ?? undefined;
        const load = () => CharGenerator.load('/model/${DEMO_MODEL_FILE}', { backend: 'wasm', wasmPaths })
          .then((g) => g.generate('the ', { maxNewTokens: 5, temperature: 0 }), (e) => (e instanceof BackendUnavailableError ? 'BackendUnavailableError' : 'other') + ': ' + e.message);
        window.__results = [await load(), await load()];
      </script>`,
    );
    const bare = await startStaticServer({ mounts: { '/': site, '/model/': DEMO_DIR, '/ort/': browserDir } });
    try {
      const results = async (query: string): Promise<string[]> => {
        const page = await browser.newPage();
        await page.goto(new URL(query, bare.url).href);
        await page.waitForFunction(() => (window as unknown as { __results?: string[] }).__results !== undefined, null, { timeout: WAIT_MS });
        const out = await page.evaluate(() => (window as unknown as { __results: string[] }).__results);
        await page.close();
        return out;
      };
      const hint = "; copy them into the site with `npx charrnn-web-files <folder>`, or pass wasmPaths, the URL prefix where they are served";
      const [noBuild, noBuildAgain] = await results('?lib=/lib/');
      expect(noBuild).toBe(
        `BackendUnavailableError: Failed to fetch dynamically imported module: ${bare.url}lib/ort.wasm.bundle.min.mjs: onnxruntime-web's files are not beside infer-web.js or its chunk${hint}`,
      );
      expect(noBuildAgain).toBe(noBuild);
      const [noWasm, noWasmAgain] = await results('?lib=/no-wasm/');
      expect(noWasm).toMatch(/^BackendUnavailableError: .*both async and sync fetching of the wasm failed.*: onnxruntime-web's files are not beside infer-web\.js or its chunk; copy them/);
      expect(noWasm.endsWith(hint)).toBe(true);
      expect(noWasmAgain).toMatch(/^BackendUnavailableError: .*: onnxruntime-web's files are not beside infer-web\.js or its chunk; copy them/);
      // The runtime served elsewhere and named by wasmPaths, or the whole folder: the same text as Node.
      const expected = await nodeText(undefined, 'the ', { maxNewTokens: 5, temperature: 0 });
      expect(await results('?lib=/no-wasm/&wasmPaths=/ort/')).toEqual([expected, expected]);
      expect(await results('?lib=/ort/')).toEqual([expected, expected]);
    } finally {
      await bare.close();
    }
  });
  test('controls: labelled inputs set the run; Start and Stop by keyboard keep the focus; the box follows the text unless scrolled up', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.addInitScript(recordElementEvents);
    await page.route(new URL('controls.html', server.url).href, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><meta charset="utf-8"><script type="module" src="/lib/infer-web.js"></script>
          <char-rnn-generator id="g" src="/nietzsche-gru.onnx" backend="wasm" seed="1" controls style="width: 320px; --char-rnn-output-min-height: 2em; --char-rnn-output-max-height: 3em"></char-rnn-generator>`,
      }),
    );
    await page.goto(new URL('controls.html', server.url).href);
    await page.waitForFunction(() => document.querySelector('#g')?.getAttribute('status') === 'ready', undefined, { timeout: WAIT_MS });
    // The inputs hold the defaults and are found by their labels (as a screen reader names them).
    expect([await page.getByLabel('Length').inputValue(), await page.getByLabel('Temperature').inputValue()]).toEqual(['200', '1']);
    await page.getByLabel('Prompt').fill('the ');
    await page.getByLabel('Length').fill('300');
    await page.getByLabel('Temperature').fill('0.8');
    expect(await page.$eval('#g', (el) => ['prompt', 'max-length', 'temperature'].map((n) => el.getAttribute(n)))).toEqual(['the ', '300', '0.8']);

    const focused = () => page.$eval('#g', (el) => [document.activeElement === el, el.shadowRoot!.activeElement?.getAttribute('data-action') ?? null]);
    const scroll = () => page.$eval('#g', (el) => {
      const box = el.shadowRoot!.querySelector('[part~=output]')!;
      return { overflowing: box.scrollHeight > box.clientHeight * 2, atEnd: box.scrollHeight - box.scrollTop - box.clientHeight <= 4, top: box.scrollTop };
    });
    await page.focus('#g [data-action=start]');
    await page.keyboard.press('Enter');
    const [done] = await waitForEvents(page, 'done', 'g', 1);
    expect((done.detail as DoneDetail).text).toBe(await nodeText(1, 'the ', { maxNewTokens: 300, temperature: 0.8 }));
    expect(await focused()).toEqual([true, 'start']);
    expect(await scroll()).toMatchObject({ overflowing: true, atEnd: true });

    // Scrolled up to read: a long run continues below without moving the reader; Stop by keyboard.
    await page.$eval('#g', (el) => (el.shadowRoot!.querySelector('[part~=output]')!.scrollTop = 0));
    await page.getByLabel('Length').fill('100000');
    const before = (await events(page, 'token', 'g')).length;
    await page.focus('#g [data-action=start]');
    await page.keyboard.press('Enter');
    await waitForEvents(page, 'token', 'g', before + 50);
    expect(await focused()).toEqual([true, 'stop']);
    await page.keyboard.press('Enter');
    await waitForEvents(page, 'done', 'g', 2);
    expect(await focused()).toEqual([true, 'start']);
    expect(await scroll()).toMatchObject({ atEnd: false, top: 0 });
    // A new prompt starts a new text rather than continuing the old one.
    await page.getByLabel('Prompt').fill('and ');
    await page.waitForFunction(() => (document.querySelector('#g') as unknown as { text: string }).text === '', undefined, { timeout: WAIT_MS });
    expect(await page.$eval('#g [data-action=start]', (b) => b.textContent)).toBe('Start');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test("a .wasm download that fails on the way is told as the visitor's network, not the site's files, and a reload recovers", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(recordElementEvents);
    let failGets = true;
    // The download breaks (as a dropped connection does); the server still has the file (HEAD answers).
    await page.route('**/ort-wasm-simd-threaded.wasm', (route) => (failGets && route.request().method() === 'GET' ? route.abort('connectionreset') : route.continue()));
    await page.goto(new URL('examples/element.html', server.url).href);
    const [error] = await waitForEvents(page, 'error', '', 1);
    expect(error.detail).toMatch(/ort-wasm-simd-threaded\.wasm is on the server, so its download failed on the way \(a network error\); reload the page to try again$/);
    expect(error.detail).not.toMatch(/charrnn-web-files|not beside/);
    const view = await page.$eval('char-rnn-generator', (el) => ({
      message: el.shadowRoot!.querySelector('[part~=status]')!.textContent,
      retry: el.shadowRoot!.querySelector('[part~=retry]')!.textContent,
    }));
    expect(view).toEqual({
      message: 'The text generator could not start: part of it did not download. Check the connection, then reload the page.',
      retry: 'Reload the page',
    });
    failGets = false;
    await page.click('char-rnn-generator [data-action=retry]');
    await waitForEvents(page, 'done', '', 1);
    await context.close();
  });
  test('axe (axe-core) finds no serious or critical accessibility violations on the demo page: loaded, after generating, and in the error state', async () => {
    // axe-core/playwright needs a page of a context made with browser.newContext().
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.addInitScript(recordElementEvents);
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelector('char-rnn-generator')?.getAttribute('status') === 'ready', undefined, { timeout: WAIT_MS });
    const serious = async () =>
      (await new AxeBuilder({ page }).analyze()).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, targets: v.nodes.map((n) => n.target.join(' ')) }));
    expect(await serious()).toEqual([]);
    await page.getByLabel('Length').fill('50');
    await page.getByRole('button', { name: 'Start' }).click();
    await waitForEvents(page, 'done', 'generator', 1);
    expect(await serious()).toEqual([]);
    await page.$eval('char-rnn-generator', (el) => el.setAttribute('src', '/missing-model.onnx'));
    await waitForEvents(page, 'error', 'generator', 1);
    await page.click('char-rnn-generator [part~=details] summary');
    expect(await serious()).toEqual([]);
    await context.close();
  });
});
