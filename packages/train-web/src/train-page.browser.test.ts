/**
 * The training page in a real browser: Debian's Chromium (never a downloaded one) driven by
 * playwright-core, the site built by tools/bundle.ts into a temp directory and served from
 * 127.0.0.1 (a secure context: OPFS, WebGPU). What a visitor does, end to end, and what the
 * downloads are worth in Node: `train:fit --resume` continues the checkpoint (runFit, the CLI's
 * body), export's verification passes on the ONNX model against it.
 */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadTrainingCheckpoint, runFit, selectBackend, type TrainerRecord } from '@charrnn/train';
import { verifyOnnx } from '@charrnn/export';
import type { FromWorker } from '@charrnn/train/browser';
import { buildSite } from '../tools/bundle.js';
import { startSiteServer } from '../tools/site-server.js';
import { CHROMIUM, CHROMIUM_ARGS } from './test-helpers/chromium.js';
import type { StaticServer } from '../../infer-web/tools/static-server.js';

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
  const w = window as unknown as { __messages: FromWorker[]; __ticks: number[]; __actions: StepAction[]; charrnnTrainer?: { on(type: string, f: (m: FromWorker) => void): void } };
  w.__messages = [];
  w.__ticks = [];
  w.__actions = [];
  setInterval(() => w.__ticks.push(performance.now()), 20);
  const hook = setInterval(() => {
    if (!w.charrnnTrainer) return;
    clearInterval(hook);
    for (const type of ['state', 'corpus', 'progress', 'epoch', 'saved', 'sample', 'error']) w.charrnnTrainer.on(type, (m) => w.__messages.push(m));
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

  test('trains a small GRU: loss falls, samples appear, the page stays responsive; pause, stop, download; Node resumes the checkpoint and verifies the ONNX model', async () => {
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
    expect(await page.textContent('#progress-text')).toMatch(/^epoch 3\/3 · batch \d+\/120 · loss \d\.\d{3} · [\d,]+ chars\/s · ETA \d+:\d\d$/);
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

    // The trained model generates in the page's <char-rnn-generator>.
    await page.click('#load-generator');
    await page.waitForFunction(() => document.querySelector('#generator')?.getAttribute('status') === 'ready', null, { timeout: WAIT_MS });
    await page.evaluate(() => ((document.querySelector('#generator') as HTMLElement).shadowRoot!.querySelector('[data-action=start]') as HTMLButtonElement).click());
    await page.waitForFunction(() => document.querySelector('#generator')?.getAttribute('status') === 'ready' && ((document.querySelector('#generator') as HTMLElement).shadowRoot!.querySelector('[part~=generated]')!.textContent ?? '').length >= 300, null, { timeout: WAIT_MS });
  }, 600_000);
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
  }, 120_000);

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

  test('a reload mid-run loses at most the seconds since the last save: the run is listed and Resume continues from its saved step', async () => {
    await page.goto(`${server.url}?saveEvery=1`);
    // 20 epochs: the run cannot end before two timed saves (one a second), however fast the machine.
    await fill(page, { ...SMALL, epochs: 20, maxBatches: 2000 });
    await page.click('#train');
    await waitFor(page, 'window.__messages.filter((m) => m.type === "saved").length >= 2');
    const lastSaved = (await messages(page, 'saved')).at(-1)!;
    await page.reload(); // the worker dies mid-batch, as when a tab is closed
    await page.waitForSelector('#runs button[data-resume]');
    const listed = await page.textContent('#runs li');
    expect(listed).toMatch(/embedded:nietzsche\.txt: gru h32, 20@0\.01, wasm — epoch \d+\/20, batch \d+, step \d+/);
    const savedStep = Number(/step (\d+)/.exec(listed!)![1]);
    expect(savedStep).toBeGreaterThanOrEqual(lastSaved.step);
    await page.click('#runs button[data-resume]');
    await waitFor(page, 'window.__messages.some((m) => m.type === "progress")');
    const first = (await messages(page, 'progress'))[0].info;
    expect(first.step).toBe(savedStep + 1);
    expect(first.batch).toBe((savedStep % first.batches) + 1);
    await page.click('#stop');
    await waitFor(page, 'document.body.dataset.state === "stopped"');
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

  test('a binary file is refused naming the file and the first bad byte; a corpus too small for the batch size names what fits', async () => {
    await page.goto(server.url);
    await page.setInputFiles('#corpus-file', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]) });
    await page.waitForSelector('#error:not(:empty)');
    expect(await page.textContent('#error')).toBe('corpus photo.jpg is not valid UTF-8 (first bad byte at offset 0); save it as UTF-8 text');
    await page.setInputFiles('#corpus-file', { name: 'tiny.txt', mimeType: 'text/plain', buffer: Buffer.from('the cat sat on the mat.\n'.repeat(40)) });
    await waitFor(page, 'document.querySelector("#error").textContent === ""');
    expect(await page.textContent('#corpus-status')).toBe('tiny.txt: 960 characters.');
    await fill(page, { ...SMALL, bs: 64, epochs: 1 });
    await page.click('#train');
    await page.waitForSelector('#error:not(:empty)');
    expect(await page.textContent('#error')).toMatch(/^CorpusTooSmallError: corpus too small: the training split has \d+ tokens, too few for one batch at batch size 64, BPTT 8 .* the largest that work: batch size \d+ at BPTT 8/);
    await waitFor(page, 'document.body.dataset.state === "failed"');
    expect(await page.$$('#runs li')).toHaveLength(0);
  }, 120_000);

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
