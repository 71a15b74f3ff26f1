/**
 * The training page in a real browser: Debian's Chromium (never a downloaded one) driven by
 * playwright-core, the site built by tools/bundle.ts into a temp directory and served from
 * 127.0.0.1 (a secure context: OPFS, WebGPU). What a visitor does, end to end, and what the
 * downloads are worth in Node: `train:fit --resume` continues the checkpoint (runFit, the CLI's
 * body), export's verification passes on the ONNX model against it.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { unzipSync } from 'fflate';
import { loadTrainingCheckpoint, runFit, selectBackend, type TrainerRecord } from '@charrnn/train';
import { verifyOnnx } from '@charrnn/export';
import { nominalBatchCount } from '@charrnn/data';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import type { FromWorker } from '@charrnn/train/browser';
import { buildSite } from '../tools/bundle.js';
import { startSiteServer } from '../tools/site-server.js';
import { CHROMIUM, CHROMIUM_ARGS } from './test-helpers/chromium.js';
import { startStaticServer, type StaticServer } from '../../infer-web/tools/static-server.js';
import { DEMO_DIR } from '../../infer-web/tools/demo-server.js';
import { DESKTOP, PHONE, viewAs } from '../../infer-web/tools/visitor-view.js';

const WAIT_MS = 120_000;

/** A button the page clicks itself as soon as the trainer reports `step` (clickAtStep). */
interface StepAction {
  step: number;
  selector: string;
  done?: boolean;
}

/**
 * Runs in the page before its scripts: records the trainer's messages and the main thread's timer
 * ticks, and clicks the buttons queued in __actions on the progress message of their step, so that
 * Pause and Stop land a few batches after a known step however fast the machine trains (a click
 * from the test after polling for the step could come hundreds of batches late on a fast one).
 */
function recordPage(): void {
  const w = window as unknown as {
    __messages: FromWorker[];
    __ticks: number[];
    __actions: StepAction[];
    __validatingText: (string | null)[];
    charrnnTrainer?: { on(type: string, f: (m: FromWorker) => void): void };
  };
  w.__messages = [];
  w.__validatingText = [];
  w.__ticks = [];
  w.__actions = [];
  setInterval(() => w.__ticks.push(performance.now()), 20);
  const hook = setInterval(() => {
    if (!w.charrnnTrainer) return;
    clearInterval(hook);
    for (const type of ['state', 'corpus', 'plan', 'progress', 'validating', 'epoch', 'saved', 'sample', 'error']) w.charrnnTrainer.on(type, (m) => w.__messages.push(m));
    // The page's own listeners were registered first: this is what a visitor reads while the validation runs.
    w.charrnnTrainer.on('validating', () => w.__validatingText.push(document.querySelector('#progress-text')!.textContent));
    w.charrnnTrainer.on('progress', (m) => {
      const step = (m as Extract<FromWorker, { type: 'progress' }>).info.step;
      for (const action of w.__actions) {
        if (action.done || step < action.step) continue;
        action.done = true;
        (document.querySelector(action.selector) as HTMLElement).click();
      }
    });
  }, 0);
}

/** Queues a click on `selector` for when the trainer reports `step` (see recordPage). */
async function clickAtStep(page: Page, step: number, selector: string): Promise<void> {
  await page.evaluate((action) => (window as unknown as { __actions: StepAction[] }).__actions.push(action), { step, selector });
}

async function messages<T extends FromWorker['type']>(page: Page, type: T): Promise<Extract<FromWorker, { type: T }>[]> {
  return page.evaluate((t) => (window as unknown as { __messages: FromWorker[] }).__messages.filter((m) => m.type === t), type) as Promise<Extract<FromWorker, { type: T }>[]>;
}

async function waitFor(page: Page, predicate: string, arg: unknown = null): Promise<void> {
  await page.waitForFunction(predicate, arg, { timeout: WAIT_MS });
}

/** What axe-core finds on the page as it is now, of any impact (the target is no serious or critical one): rule, impact and elements. */
async function axeViolations(page: Page): Promise<{ id: string; impact: string; targets: string[] }[]> {
  return (await new AxeBuilder({ page }).analyze()).violations.map((v) => ({ id: v.id, impact: String(v.impact), targets: v.nodes.map((n) => n.target.join(' ')) }));
}

async function fill(page: Page, settings: Record<string, string | number>): Promise<void> {
  for (const [name, value] of Object.entries(settings)) {
    const selector = `#settings [name=${name}]`;
    if ((await page.$eval(selector, (el) => el.tagName)) === 'SELECT') await page.selectOption(selector, String(value));
    else await page.fill(selector, String(value));
  }
}

/** A small GRU that learns visibly in a few hundred batches on the embedded corpus. */
const SMALL = { arch: 'gru', hidden: 32, embed: 16, layers: 1, bs: 32, bptt: 8, lr: 0.01, seed: 0 };

describe('the training page in Chromium', () => {
  let tempDir: string;
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    if (!(await stat(CHROMIUM).then(() => true, () => false))) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium)`);
    tempDir = await mkdtemp(join(tmpdir(), 'train-web-'));
    await buildSite(join(tempDir, 'site'));
    server = await startSiteServer({ siteDir: join(tempDir, 'site') });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await selectBackend('cpu');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.addInitScript(recordPage);
  });

  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  test('trains a small GRU: loss falls, samples appear, the page stays responsive; pause, stop, download (each file, and all as one zip); Node resumes the checkpoint and verifies the ONNX model', async () => {
    await page.goto(`${server.url}?sampleEvery=100`);
    await fill(page, { ...SMALL, epochs: 3, maxBatches: 120 });
    // Two whole epochs (240 batches), then into the third: Pause at 260, Stop at 280 (the page clicks them).
    await clickAtStep(page, 260, '#pause');
    await page.click('#train');
    await waitFor(page, 'document.body.dataset.state === "paused"');
    const atPause = (await messages(page, 'progress')).length;
    await page.waitForTimeout(500);
    expect((await messages(page, 'progress')).length).toBe(atPause);
    await clickAtStep(page, 280, '#stop');
    await page.click('#pause'); // Continue
    await waitFor(page, 'document.body.dataset.state === "stopped"');

    // The main thread served its 20 ms timer all along: on time as a rule, and never held for a
    // second (the worker trains; a loaded machine can still delay a tick now and then). The last
    // 100 ticks, or all of them when the run was shorter (a fast machine; the pause alone has 25).
    const ticks = await page.evaluate(() => (window as unknown as { __ticks: number[] }).__ticks.slice(-100));
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]).sort((a, b) => a - b);
    expect(gaps.length).toBeGreaterThanOrEqual(20);
    expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(40);
    expect(gaps[gaps.length - 1]).toBeLessThan(1000);

    const epochs = (await messages(page, 'epoch')).map((m) => m.record);
    expect(epochs).toHaveLength(2);
    const corpus = (await messages(page, 'corpus'))[0].info;
    expect(epochs[0].validLoss).toBeLessThan(Math.log(corpus.vocabSize) - 0.5);
    expect(epochs[1].validLoss).toBeLessThan(epochs[0].validLoss);
    const progress = (await messages(page, 'progress')).map((m) => m.info);
    expect(progress[0]).toMatchObject({ epoch: 0, batch: 1, step: 1, batches: 120, epochs: 3 });
    expect(progress.at(-1)!.charsPerSecond).toBeGreaterThan(0);
    expect(progress[10].etaSeconds).toBeGreaterThan(0);
    // Stopped: where the run ended, no live figures left behind.
    expect(await page.textContent('#progress-text')).toBe(`Stopped at epoch 3/3, batch ${progress.at(-1)!.batch}/120.`);
    expect(await page.$$eval('#chart svg path, #chart svg polyline', (els) => els.length)).toBeGreaterThanOrEqual(2);
    const samples = await messages(page, 'sample');
    // A sample every 100 steps up to where Stop took effect: 280 or a little after (a loaded
    // machine can deliver the click 20 steps late, and then there is one at 300 too).
    const lastStep = progress.at(-1)!.step;
    expect(lastStep).toBeGreaterThanOrEqual(280);
    expect(samples.map((s) => s.step)).toEqual(Array.from({ length: Math.floor(lastStep / 100) }, (_, i) => (i + 1) * 100));
    expect(samples[1].text.length).toBeGreaterThan(100);

    // Downloads: every file of the checkpoint, and the ONNX model.
    const downloadDir = join(tempDir, 'download');
    const names = await page.$$eval('#downloads a', (as) => as.map((a) => (a as HTMLAnchorElement).dataset.file!));
    expect(names.sort()).toEqual(['hidden.safetensors', 'model.onnx', 'model.safetensors', 'optimizer.safetensors', 'trainer.json']);
    for (const name of names) {
      const download = page.waitForEvent('download');
      await page.click(`#downloads a[data-file="${name}"]`);
      await (await download).saveAs(join(downloadDir, name));
    }
    // "Download all": one zip whose files, in a folder named for the run, are byte for byte the ones above.
    const zipDownload = page.waitForEvent('download');
    await page.click('#download-all');
    const zip = await zipDownload;
    const runId = await page.$eval('#runs li.shown', (li) => (li as HTMLElement).dataset.run!);
    expect(zip.suggestedFilename()).toBe(`charrnn-${runId}.zip`);
    const unzipped = unzipSync(new Uint8Array(await readFile((await zip.path())!)));
    expect(Object.keys(unzipped).sort()).toEqual(names.map((n) => `charrnn-${runId}/${n}`).sort());
    for (const name of names) expect(Buffer.from(unzipped[`charrnn-${runId}/${name}`]).equals(await readFile(join(downloadDir, name)))).toBe(true);
    const saved = await loadTrainingCheckpoint(downloadDir);
    expect(saved.trainer).toMatchObject({ epoch: 2, complete: false });
    expect(saved.trainer.batch).toBeGreaterThanOrEqual(40);
    expect(saved.trainer.options.corpus).toBeUndefined();

    // export's verification: onnxruntime-node runs the page's ONNX model against the tfjs model of the checkpoint.
    const report = await verifyOnnx(new Uint8Array(await readFile(join(downloadDir, 'model.onnx'))), { ...saved.meta, weights: saved.weights });
    expect(report).toMatchObject({ passed: true, graph: 'fused', precision: 'float32' });

    // train:fit --resume: Node continues the browser's run to its end.
    const lines: string[] = [];
    const resumed = await runFit({ options: saved.trainer.options, resume: downloadDir, engine: 'ort', device: 'cpu', log: (l) => lines.push(l) });
    expect(resumed.step).toBe(360);
    expect(resumed.history).toHaveLength(3);
    expect(resumed.history.slice(0, 2).map((r) => r.validLoss)).toEqual(epochs.map((r) => r.validLoss));
    expect(resumed.history[2].validLoss).toBeLessThan(resumed.history[1].validLoss);
    const record = JSON.parse(await readFile(join(downloadDir, 'trainer.json'), 'utf8')) as TrainerRecord;
    expect(record.complete).toBe(true);
    expect(lines.some((l) => /resuming .* at epoch 3, batch \d+/.test(l))).toBe(true);

    // The trained model generates in the page's <char-rnn-generator>, from the page's prompt at its temperature.
    await page.click('#load-generator');
    await page.waitForFunction(() => document.querySelector('#generator')?.getAttribute('status') === 'ready', null, { timeout: WAIT_MS });
    // The element's own controls (its `controls` attribute) edit its prompt and temperature.
    await page.fill('#generator [data-setting=prompt]', 'what is ');
    await page.fill('#generator [data-setting=temperature]', '0');
    expect(await page.$eval('#generator', (g) => [g.getAttribute('prompt'), g.getAttribute('temperature')])).toEqual(['what is ', '0']);
    const generate = async () => {
      await page.evaluate(() => ((document.querySelector('#generator') as HTMLElement).shadowRoot!.querySelector('[data-action=start]') as HTMLButtonElement).click());
      await page.waitForFunction(() => document.querySelector('#generator')?.getAttribute('status') === 'ready' && ((document.querySelector('#generator') as HTMLElement).shadowRoot!.querySelector('[part~=generated]')!.textContent ?? '').length >= 300, null, { timeout: WAIT_MS });
      return page.$eval('#generator', (g) => [g.shadowRoot!.querySelector('[part~=prompt]')!.textContent, g.shadowRoot!.querySelector('[part~=generated]')!.textContent]);
    };
    const [prompt, text] = await generate();
    expect(prompt).toBe('what is ');
    // Temperature 0 is greedy: another seed gives the same text (at the default 0.7 it would not).
    await page.$eval('#generator', (g) => g.setAttribute('seed', '2'));
    await page.click('#generator [data-action=reset]');
    await page.waitForFunction(() => (document.querySelector('#generator') as HTMLElement).shadowRoot!.querySelector('[part~=generated]')!.textContent === '', null, { timeout: WAIT_MS });
    expect(await generate()).toEqual([prompt, text]);

    // A laptop's screen with all of it shown (the chart, the samples, the downloads, the generator): nothing sticks out sideways.
    const view = await viewAs(page, 'train', DESKTOP);
    expect({ protruding: view.protruding, scrolls: view.scrollWidth > view.innerWidth }).toEqual({ protruding: [], scrolls: false });
  }, 300_000);
});

describe('the training page in Chromium: storage and errors', () => {
  let tempDir: string;
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'train-web-'));
    await buildSite(join(tempDir, 'site'));
    server = await startSiteServer({ siteDir: join(tempDir, 'site') });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    await page.addInitScript(recordPage);
  });

  afterEach(() => context?.close());

  test('a reload mid-run loses at most the seconds since the last save: the run is listed, dated and shown as it was, and Resume continues from its saved step', async () => {
    await page.goto(`${server.url}?saveEvery=1&sampleEvery=20`);
    // 20 epochs: the run cannot end before two timed saves (one a second), however fast the machine.
    await fill(page, { ...SMALL, epochs: 20, maxBatches: 2000 });
    await page.click('#train');
    // A save after the first sample, and after the chart has points: both are kept with the run.
    await waitFor(page, 'window.__messages.some((m) => m.type === "sample") && window.__messages.filter((m) => m.type === "saved" && m.step > window.__messages.find((s) => s.type === "sample").step).length >= 2');
    const lastSaved = (await messages(page, 'saved')).at(-1)!;
    const samplesBefore = (await messages(page, 'sample')).map((m) => `step ${m.step}:\n${m.text}`);
    const created = await page.evaluate(async () => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('charrnn-runs');
      for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) {
        const run = await (await (await root.getDirectoryHandle(name)).getFileHandle('run.json')).getFile();
        return (JSON.parse(await run.text()) as { created: string }).created;
      }
      return null;
    });
    await page.reload(); // the worker dies mid-batch, as when a tab is closed
    await page.waitForSelector('#runs button[data-resume]');
    await waitFor(page, 'document.body.dataset.ready === "true"');
    // The form shows the run's settings (not the page's defaults: hidden 128, embedding 32, batch size 64, 3 epochs).
    const form = await page.$eval('#settings', (f) => Object.fromEntries([...new FormData(f as HTMLFormElement)].map(([k, v]) => [k, typeof v === 'string' ? v : v.name])));
    expect(form).toMatchObject({ arch: 'gru', hidden: '32', embed: '16', layers: '1', bs: '32', bptt: '8', epochs: '20', lr: '0.01', maxBatches: '2000', seed: '0', provider: 'wasm', corpus: 'embedded' });
    // Its chart and samples as saved, and its model ready to load without another click.
    expect(await page.$$eval('#chart svg path, #chart svg polyline', (els) => els.length)).toBeGreaterThanOrEqual(1);
    const samplesAfter = await page.$$eval('#samples pre', (pres) => pres.map((p) => p.textContent!).reverse());
    expect(samplesAfter.length).toBeGreaterThanOrEqual(1);
    expect(samplesBefore.slice(0, samplesAfter.length)).toEqual(samplesAfter);
    expect(await page.isDisabled('#load-generator')).toBe(false);
    expect(await page.getAttribute('#runs li time', 'datetime')).toBe(created);
    const listed = await page.textContent('#runs li');
    expect(listed).toMatch(/embedded:nietzsche\.txt: gru h32, 20@0\.01, wasm — epoch \d+\/20, batch \d+, step \d+/);
    const savedStep = Number(/step (\d+)/.exec(listed!)![1]);
    expect(savedStep).toBeGreaterThanOrEqual(lastSaved.step);
    await page.click('#runs button[data-resume]');
    await waitFor(page, 'window.__messages.some((m) => m.type === "progress")');
    const first = (await messages(page, 'progress'))[0].info;
    expect(first.step).toBe(savedStep + 1);
    expect(first.batch).toBe((savedStep % first.batches) + 1);
    // A running run cannot be deleted; a stopped one can, and is gone after a reload too.
    expect(await page.isDisabled('#runs button[data-delete]')).toBe(true);
    await page.click('#stop');
    await waitFor(page, 'document.body.dataset.state === "stopped"');
    await page.waitForSelector('#runs button[data-delete]:not([disabled])');
    await page.click('#runs button[data-delete]');
    await waitFor(page, 'document.querySelectorAll("#runs li").length === 0');
    expect(await page.isDisabled('#load-generator')).toBe(true);
    await page.reload();
    await waitFor(page, 'document.body.dataset.ready === "true"');
    expect(await page.$$('#runs li')).toHaveLength(0);
    expect(await page.$$('#chart svg')).toHaveLength(0);
  }, 300_000);

  test('a run on WebGPU loads the native WebGPU build in the worker and trains there (SwiftShader)', async () => {
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(server.url);
    await fill(page, { ...SMALL, hidden: 16, embed: 8, bs: 64, bptt: 32, epochs: 1, maxBatches: 3, provider: 'webgpu' });
    await page.click('#train');
    await waitFor(page, '["finished", "failed"].includes(document.body.dataset.state)');
    expect(await messages(page, 'error')).toEqual([]);
    expect((await messages(page, 'state')).find((m) => m.state === 'training')).toMatchObject({ engine: 'onnxruntime-web (webgpu)' });
    expect((await messages(page, 'epoch'))[0].record).toMatchObject({ epoch: 1, batches: 3 });
    expect(fetched).toContain('/ort-wasm-simd-threaded.asyncify.wasm');
    // The element (in the page) and nothing else loads the plain wasm build; the JSEP build never.
    expect(fetched.filter((f) => f.includes('jsep'))).toEqual([]);
  }, 300_000);

  test("onnxruntime-web's .wasm is downloaded once: the worker trains on it and the page's generator runs on the same bytes; axe finds nothing after the run", async () => {
    const runtimes: string[] = [];
    // Requests of the page and of its worker alike (Chromium reports a dedicated worker's fetches to its page).
    page.on('request', (r) => r.url().endsWith('.wasm') && runtimes.push(new URL(r.url()).pathname));
    const warnings: string[] = [];
    page.on('console', (m) => ['warning', 'error'].includes(m.type()) && warnings.push(m.text()));
    await page.goto(server.url);
    await waitFor(page, 'document.body.dataset.ready === "true"');
    await fill(page, { ...SMALL, hidden: 16, embed: 8, epochs: 1, maxBatches: 5 });
    await page.click('#train');
    await waitFor(page, '["finished", "failed"].includes(document.body.dataset.state)');
    expect(await messages(page, 'error')).toEqual([]);
    await page.click('#load-generator');
    await page.waitForFunction(() => document.querySelector('#generator')?.getAttribute('status') === 'ready', null, { timeout: WAIT_MS });
    const status = await page.$eval('#generator', (g) => g.shadowRoot!.querySelector('[part~=status]')!.textContent);
    await page.evaluate(() => ((document.querySelector('#generator') as HTMLElement).shadowRoot!.querySelector('[data-action=start]') as HTMLButtonElement).click());
    await page.waitForFunction(() => ((document.querySelector('#generator') as HTMLElement).shadowRoot!.querySelector('[part~=generated]')!.textContent ?? '').length >= 20, null, { timeout: WAIT_MS });
    expect(runtimes).toEqual(['/ort-wasm-simd-threaded.wasm']);
    expect(status).toMatch(/ on wasm\.$/);
    // The cache holds that runtime under its onnxruntime-web version, and not the trained model, whose blob: URL dies with the page.
    const keys = await page.evaluate(async () => (await (await caches.open('charrnn-train-web')).keys()).map((r) => r.url));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${server.url}ort-wasm-simd-threaded\\.wasm\\?onnxruntime-web=\\d+\\.\\d+\\.\\d+$`));
    expect(warnings).toEqual([]);
    // axe on the page with a run, its chart, downloads and generator: everything the page first shows and more (2.4-3.4 s a call at load 12).
    expect(await axeViolations(page)).toEqual([]);
  }, 300_000);

  test('the link back to the demo is relative: it works with the site served under a prefix', async () => {
    // The demo's layout (its page at the prefix, the training page at train/), under /charrnn/ as on a project site.
    const prefixed = await startStaticServer({ mounts: { '/charrnn/': DEMO_DIR, '/charrnn/train/': join(tempDir, 'site') } });
    try {
      await page.goto(`${prefixed.url}charrnn/train/`);
      await page.getByRole('link', { name: 'Back to the demo' }).click();
      await page.waitForURL(`${prefixed.url}charrnn/`);
      const demoTitle = /<title>(.*)<\/title>/.exec(await readFile(join(DEMO_DIR, 'index.html'), 'utf8'))![1];
      expect(await page.title()).toBe(demoTitle);
    } finally {
      await prefixed.close();
    }
  }, 120_000);

  test('a refused file (binary, Latin-1) stays refused at Train: no run starts, the embedded corpus never stands in; axe finds nothing in the error state', async () => {
    await page.goto(server.url);
    await waitFor(page, 'document.body.dataset.ready === "true"');
    await page.setInputFiles('#corpus-file', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]) });
    await page.waitForSelector('#error:not(:empty)');
    expect(await page.textContent('#error')).toBe('Corpus photo.jpg is not valid UTF-8 (first bad byte at offset 0); save it as UTF-8 text');
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.$eval('input[name=corpus][value=file]', (r) => (r as HTMLInputElement).checked)).toBe(true);
    await page.click('#train');
    // Train answers with the same refusal; the worker is never asked to start.
    await waitFor(page, 'document.querySelector("#error").textContent.startsWith("Corpus photo.jpg")');
    // "café" in Latin-1: é is the byte 0xe9, not UTF-8.
    await page.setInputFiles('#corpus-file', { name: 'latin1.txt', mimeType: 'text/plain', buffer: Buffer.from('le caf\xe9 est noir.\n'.repeat(200), 'latin1') });
    await waitFor(page, 'document.querySelector("#error").textContent.startsWith("Corpus latin1.txt")');
    expect(await page.textContent('#error')).toBe('Corpus latin1.txt is not valid UTF-8 (first bad byte at offset 6); save it as UTF-8 text');
    await page.click('#train');
    await waitFor(page, 'document.querySelector("#error").textContent.startsWith("Corpus latin1.txt")');
    expect(await messages(page, 'state')).toEqual([]);
    expect(await page.$$('#runs li')).toHaveLength(0);
    expect(await page.getAttribute('body', 'data-state')).toBe('idle');
  }, 120_000);

  test('a text too short for the batch settings is refused when chosen, naming the minimum in characters; the minimum trains', async () => {
    await page.goto(server.url);
    await waitFor(page, 'document.body.dataset.ready === "true"');
    await page.setInputFiles('#corpus-file', { name: 'tiny.txt', mimeType: 'text/plain', buffer: Buffer.from('the cat sat.') });
    await page.waitForSelector('#error:not(:empty)');
    // The form's defaults: batch size 64, BPTT 8. 2 × 64 × 8 = 1,024 to train on, 2 × 64 = 128 to validate on (the last 20%).
    expect(await page.textContent('#error')).toBe(
      'tiny.txt has 12 characters; at batch size 64 and BPTT 8 a text needs at least 1,280 (1,024 to train on and 128 to validate on, the last 20% of it). ' +
        'Choose a longer text, or lower the batch size or BPTT.',
    );
    // Lowering the batch size re-checks the chosen text: 2 × 1 × 8 = 16 and 2; 12 characters give 9 and 3.
    await fill(page, { bs: 1 });
    await waitFor(page, 'document.querySelector("#error").textContent.startsWith("tiny.txt has 12 characters; at batch size 1 and BPTT 8 a text needs at least 20 ")');
    await fill(page, { bs: 64 });
    // Pasted text: one character short of the minimum is refused, the minimum trains (the worker's own check agrees).
    const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n'.repeat(30);
    await page.fill('#corpus-paste', text.slice(0, 1279));
    await waitFor(page, 'document.querySelector("#error").textContent.startsWith("The pasted text has 1,279 characters; at batch size 64 and BPTT 8 a text needs at least 1,280 ")');
    expect(await page.$eval('input[name=corpus][value=paste]', (r) => (r as HTMLInputElement).checked)).toBe(true);
    await page.fill('#corpus-paste', text.slice(0, 1280));
    await waitFor(page, 'document.querySelector("#error").textContent === ""');
    expect(await page.textContent('#corpus-status')).toBe('Pasted text: 1,280 characters.');
    await fill(page, { ...SMALL, bs: 64, epochs: 1 });
    await page.click('#train');
    await waitFor(page, '["finished", "failed"].includes(document.body.dataset.state)');
    expect(await messages(page, 'error')).toEqual([]);
    expect((await messages(page, 'corpus'))[0].info).toMatchObject({ trainChars: 1024, validChars: 256, batchesPerEpoch: 1 });
    await waitFor(page, 'document.querySelectorAll("#runs li").length === 1');
    expect(await page.textContent('#runs li')).toContain('pasted.txt: gru h32');
  }, 120_000);

  test('progress reaches 100% over the epochs real batch counts, says when it validates, and leaves no live line after a failure', async () => {
    await page.goto(server.url);
    await waitFor(page, 'document.body.dataset.ready === "true"');
    // ~24,000 characters in 16 streams of 1,500: the random BPTT lengths end each epoch before its nominal 186 batches.
    const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far', 'away', 'from', 'home'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    let text = '';
    while (text.length < 30_000) text += words[next() % words.length] + (next() % 9 === 0 ? '.\n' : ' ');
    await page.fill('#corpus-paste', text.slice(0, 30_000));
    await fill(page, { ...SMALL, hidden: 16, embed: 8, bs: 16, bptt: 8, epochs: 2, maxBatches: '' });
    await page.click('#train');
    await waitFor(page, '["finished", "failed"].includes(document.body.dataset.state)');
    expect(await messages(page, 'error')).toEqual([]);
    const info = (await messages(page, 'corpus'))[0].info;
    const progress = (await messages(page, 'progress')).map((m) => m.info);
    // The epochs' real counts, from the batches each epoch trained, against the nominal count.
    const perEpoch = [0, 1].map((e) => progress.filter((p) => p.epoch === e).length);
    expect(info.epochBatches).toEqual(perEpoch);
    // The lesson's nominal count, ⌊⌊24,000 / 16⌋ / 8⌋ − 1 = 186, is what the bar used to divide by.
    expect(info.trainChars).toBe(24_000);
    expect(perEpoch.every((n) => n < nominalBatchCount(info.trainChars, 16, 8))).toBe(true);
    expect(progress.at(-1)).toMatchObject({ done: perEpoch[0] + perEpoch[1], total: perEpoch[0] + perEpoch[1] });
    expect(await page.$eval('#bar', (b) => (b as HTMLProgressElement).value)).toBe(1);
    // Each validation is announced in the progress line while it runs (no "ETA 0:00").
    const validating = await page.evaluate(() => (window as unknown as { __validatingText: string[] }).__validatingText);
    expect(validating).toEqual([
      `Validating after epoch 1/2 on ${info.validChars.toLocaleString('en-US')} held-out characters…`,
      `Validating after epoch 2/2 on ${info.validChars.toLocaleString('en-US')} held-out characters…`,
    ]);
    const epochs = (await messages(page, 'epoch')).map((m) => m.record);
    expect(await page.textContent('#progress-text')).toBe(`Finished: validation loss ${epochs[1].validLoss.toFixed(3)} after epoch 2.`);

    // A run that fails mid-way (a learning rate of 1,000 diverges) leaves no stale batch, loss or ETA behind.
    await fill(page, { lr: 1000, epochs: 5 });
    await page.click('#train');
    await waitFor(page, 'document.body.dataset.state === "failed"');
    expect((await messages(page, 'error')).at(-1)).toMatchObject({ name: 'TrainingDivergedError' });
    expect((await messages(page, 'progress')).length).toBeGreaterThan(progress.length);
    expect(await page.textContent('#progress-text')).toBe('');
    expect(await page.$eval('#bar', (b) => (b as HTMLProgressElement).value)).toBe(0);
    expect(await page.textContent('#error')).toMatch(/^Training (diverged|loss became)/);
  }, 300_000);

  test('a time budget: bad budgets are refused naming the limit; a run is planned (its table shown, and again after a reload) and counts seconds of its budget; stopped, it leaves a checkpoint of the planned run', async () => {
    await page.goto(server.url);
    await waitFor(page, 'document.body.dataset.ready === "true"');
    // A tiny corpus: the plan takes the smallest model (its parameters are bounded by the characters), whose graphs build quickly.
    await page.fill('#corpus-paste', (await readEmbeddedCorpus()).slice(0, 6_000));
    await page.check('input[name=length][value=minutes]');
    for (const minutes of ['0', '-1', '20000']) {
      await page.fill('#settings [name=minutes]', minutes);
      await page.click('#train');
      await waitFor(page, `document.querySelector("#error").textContent.startsWith("Train for ${minutes} minutes is not a training budget: give a number of minutes above 0 and at most 10080 (a week)")`);
    }
    expect(await page.$$eval('#runs li', (lis) => lis.length)).toBe(0);
    expect(await messages(page, 'state')).toEqual([]);

    // A budget with room for any machine's planning; the page stops the run a few steps in (a time
    // budget trains to its deadline, which the worker's test in Node checks on a clock of its own).
    await page.fill('#settings [name=minutes]', '1');
    await clickAtStep(page, 5, '#stop');
    await page.click('#train');
    await waitFor(page, '["stopped", "finished", "failed"].includes(document.body.dataset.state)');
    expect(await messages(page, 'error')).toEqual([]);
    expect(await page.getAttribute('body', 'data-state')).toBe('stopped');

    // The plan, shown as the worker made it: the same table train:fit --minutes prints.
    const plans = await messages(page, 'plan');
    expect(plans).toHaveLength(1);
    const [plan] = plans;
    expect(plan.table[0]).toMatch(/^plan for 1 min: .* parameters, .* on onnxruntime-web \(wasm\)\)$/);
    expect(await page.isVisible('#plan')).toBe(true);
    expect(await page.textContent('#plan-table')).toBe(plan.table.join('\n'));
    for (const key of ['hidden', 'layers', 'bs', 'bptt', 'dropout', 'schedule']) expect(plan.table.filter((l) => l.startsWith(`  ${key} `))).toHaveLength(1);
    // The peak rate depends on the passes this device affords (peakLearningRate): the same in the options and the table's reason.
    const peak = /^cosine@([0-9.e-]+),warmup=0\.03,final=0\.05$/.exec(plan.options.schedule);
    expect(peak).not.toBeNull();
    expect(plan.table.find((l) => l.startsWith('  schedule '))).toContain(`Adam at ${peak![1]},`);
    expect(plan.options).toMatchObject({ minutes: 1, text: 'faithful', lower: false, optimizer: 'adam' });

    // Progress counts seconds of the 60-second budget; the bar and the text say where the run stopped.
    const progress = (await messages(page, 'progress')).map((m) => m.info);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    for (const info of progress) expect(info).toMatchObject({ budgetSeconds: 60, total: 60, done: info.elapsed, epochs: Infinity });
    const last = progress.at(-1)!;
    expect(last.elapsed!).toBeGreaterThan(0);
    expect(last.elapsed!).toBeLessThan(60);
    expect(await page.$eval('#bar', (b) => (b as HTMLProgressElement).value)).toBeCloseTo(last.elapsed! / 60, 6);
    expect(await page.textContent('#progress-text')).toMatch(/^Stopped at 0:\d\d of the budget's 1:00\.$/);
    expect((await messages(page, 'corpus'))[0].info).toMatchObject({ budgetSeconds: 60 });
    expect(await page.textContent('#corpus-status')).toMatch(/; a budget of 1:00\.$/);

    // The stopped run's checkpoint: the planned options, a budget run (no epoch count), its clock, and a model beside it.
    const names = await page.$$eval('#downloads a', (as) => as.map((a) => (a as HTMLAnchorElement).dataset.file!));
    expect(names).toEqual(expect.arrayContaining(['model.onnx', 'model.safetensors', 'trainer.json']));
    const download = page.waitForEvent('download');
    await page.click('#downloads a[data-file="trainer.json"]');
    const record = JSON.parse(await readFile((await (await download).path())!, 'utf8')) as TrainerRecord;
    expect(record).toMatchObject({ complete: false, totalEpochs: null, options: plan.options });
    expect(record.step).toBeGreaterThanOrEqual(5);
    expect(record.elapsed).toBeGreaterThan(0);
    await waitFor(page, 'document.querySelector("#runs li")?.textContent.includes(" s of 1 min, step ")');
    expect(await page.textContent('#runs li')).toContain(`${Math.round(record.elapsed!)} s of 1 min, step ${record.step}`);

    // After a reload the page shows the stored run as it was left: its plan, and its budget in the form.
    await page.reload();
    await waitFor(page, 'document.body.dataset.ready === "true"');
    expect(await page.isVisible('#plan')).toBe(true);
    expect(await page.textContent('#plan-table')).toBe(plan.table.join('\n'));
    expect(await page.$eval('input[name=length][value=minutes]', (r) => (r as HTMLInputElement).checked)).toBe(true);
    expect(await page.inputValue('#settings [name=minutes]')).toBe('1');
  }, 300_000);

  test('a phone (390 × 844) sees the page without horizontal scrolling, and the chart at its own size', async () => {
    await context.close();
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    page = await context.newPage();
    await page.addInitScript(recordPage);
    await page.goto(server.url);
    await waitFor(page, 'document.body.dataset.ready === "true"');
    await fill(page, { ...SMALL, hidden: 16, embed: 8, epochs: 1, maxBatches: 40 });
    await page.click('#train');
    await waitFor(page, '["finished", "failed"].includes(document.body.dataset.state)');
    await page.waitForSelector('#chart svg');
    const layout = await page.evaluate(() => {
      const svg = document.querySelector('#chart svg')!;
      return { scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth, svgShown: svg.getBoundingClientRect().width, svgDrawn: Number(svg.getAttribute('width')) };
    });
    expect(layout.viewport).toBe(390);
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    // No element sticks out either (the page's own clipping would hide it from scrollWidth).
    const view = await viewAs(page, 'train', PHONE);
    expect({ protruding: view.protruding, scrolls: view.scrollWidth > view.innerWidth }).toEqual({ protruding: [], scrolls: false });
    // Drawn at the width it is shown at, so its 12 px labels are 12 px.
    expect(Math.abs(layout.svgShown - layout.svgDrawn)).toBeLessThanOrEqual(1);
  }, 300_000);

  test('WebGPU is offered only where the browser gives an adapter', async () => {
    // This Chromium has one (SwiftShader); a device without one is shown by an API that finds none.
    await page.goto(server.url);
    await waitFor(page, 'document.body.dataset.ready === "true"');
    expect(await page.$eval('option[value=webgpu]', (o) => [(o as HTMLOptionElement).disabled, o.textContent])).toEqual([false, 'WebGPU']);
    const none = await context.newPage();
    await none.addInitScript(() => {
      const gpu = (navigator as unknown as { gpu?: object }).gpu;
      if (gpu) Object.defineProperty(Object.getPrototypeOf(gpu), 'requestAdapter', { value: async () => null });
    });
    await none.goto(server.url);
    await none.waitForFunction('document.body.dataset.ready === "true"', null, { timeout: WAIT_MS });
    expect(await none.$eval('option[value=webgpu]', (o) => [(o as HTMLOptionElement).disabled, o.textContent])).toEqual([true, 'WebGPU (no GPU adapter on this device)']);
  }, 60_000);

  test('a browser without WebAssembly SIMD is told so and cannot start training', async () => {
    // Chromium cannot turn SIMD off, so the page is shown a WebAssembly that refuses SIMD modules.
    await page.addInitScript(() => {
      const validate = WebAssembly.validate.bind(WebAssembly);
      WebAssembly.validate = (bytes: BufferSource) => {
        const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return view.includes(0xfd) ? false : validate(bytes);
      };
    });
    await page.goto(server.url);
    await page.waitForSelector('#error:not(:empty)');
    expect(await page.textContent('#error')).toMatch(/WebAssembly has no SIMD instructions, which onnxruntime-web needs; use Chrome\/Edge 91\+/);
    expect(await page.isDisabled('#train')).toBe(true);
  }, 60_000);
});
