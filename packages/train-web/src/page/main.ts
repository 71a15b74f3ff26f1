/**
 * The training page: settings → a run in the training worker (BrowserTrainer), its progress, loss
 * chart and samples, the runs kept in this browser (resume after a reload, with their chart and
 * samples), downloads of the checkpoint and ONNX model, and the trained model in <char-rnn-generator>.
 */
import { decodeCorpus } from '@charrnn/data';
import '@charrnn/infer-web/element';
import {
  BrowserTrainer,
  DEFAULT_FIT_OPTIONS,
  resolveTextOptions,
  ONNX_FILE,
  TRAINER_FILE,
  checkMinutes,
  hasWasmSimd,
  lineChartSvg,
  newRunRecord,
  opfsRunStore,
  parseSchedule,
  requireWasmSimd,
  totalEpochs,
  type BrowserProvider,
  type CheckpointFile,
  type FitOptions,
  type RunRecord,
  type TrainerRecord,
  type TrainerState,
} from '@charrnn/train/browser';
import { RUNTIME_CACHE } from '../ort-builds.js';
import { zipRun } from './run-zip.js';
import { EMBEDDED_CORPUS_NAME, EMBEDDED_CORPUS_URL, PASTED_CORPUS_NAME, corpusSizeProblem } from './corpus.js';

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector(selector) as T;
const form = $<HTMLFormElement>('#settings');
const errorBox = $('#error');
const stateText = $('#state');
const bar = $<HTMLProgressElement>('#bar');
const progressText = $('#progress-text');
const chart = $('#chart');
const samples = $('#samples');
const runsList = $('#runs');
const downloads = $('#downloads');
const downloadAll = $<HTMLButtonElement>('#download-all');
const trainButton = $<HTMLButtonElement>('#train');
const pauseButton = $<HTMLButtonElement>('#pause');
const stopButton = $<HTMLButtonElement>('#stop');
const loadButton = $<HTMLButtonElement>('#load-generator');
const generator = $('#generator');
const corpusStatus = $('#corpus-status');
const fileInput = $<HTMLInputElement>('#corpus-file');
const pasteBox = $<HTMLTextAreaElement>('#corpus-paste');
const drop = $('#drop');
const planBox = $('#plan');
const planTable = $('#plan-table');

// The generator reads onnxruntime-web's runtime from the cache the worker fills: one download for both.
generator.setAttribute('cache', RUNTIME_CACHE);

const store = opfsRunStore();
const pageParams = new URLSearchParams(location.search);
const workerUrl = new URL('./worker.js', import.meta.url);
for (const key of ['threads', 'sampleEvery', 'saveEvery']) if (pageParams.has(key)) workerUrl.searchParams.set(key, pageParams.get(key)!);
const trainer = new BrowserTrainer(new Worker(workerUrl, { type: 'module' }));
(globalThis as { charrnnTrainer?: BrowserTrainer }).charrnnTrainer = trainer;

/** The file chosen or dropped: its text, or why it was refused (never replaced by another corpus). */
type FileChoice = { name: string; text: string } | { name: string; refused: string };
let fileChoice: FileChoice | undefined;

/** What the page keeps of a run beside it in OPFS (note.json): the chart's series and the samples. */
interface RunView {
  trainPoints: [number, number][];
  validPoints: [number, number][];
  smoothed?: number;
  samples: { step: number; text: string }[];
  /** A time-budget run's chart counts seconds of the budget, not epochs. */
  x?: 'seconds';
}
let view: RunView = { trainPoints: [], validPoints: [], samples: [] };
/** The run the chart, samples and downloads show. */
let shownRun: string | null = null;
let lastProgress: { epoch: number; epochs: number; batch: number; batches: number; elapsed?: number; budgetSeconds?: number } | undefined;
let chartDrawnAt = 0;
let onnxUrl: string | undefined;
let runs: RunRecord[] = [];

function showError(message: string): void {
  errorBox.textContent = message;
}

/** A worker's or library's message as a sentence for a person: no class name in front, a capital first letter. */
function plainMessage(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

function drawChart(): void {
  const series = [{ name: 'training loss (smoothed)', color: '#1f77b4', points: view.trainPoints }];
  if (view.validPoints.length > 0) series.push({ name: 'validation loss', color: '#d62728', points: view.validPoints });
  // Drawn at the box's own width, so that its 12 px labels are 12 px on a phone too.
  const width = Math.max(280, Math.round(chart.clientWidth || 560));
  chart.innerHTML = view.trainPoints.length < 2 ? '' : lineChartSvg(series, { title: 'loss per character', xLabel: view.x ?? 'epoch', yLabel: 'NLL', width, height: Math.round(width * 0.55) });
  chartDrawnAt = performance.now();
}

function showSample(step: number, text: string): void {
  const pre = document.createElement('pre');
  pre.dataset.step = String(step);
  pre.textContent = `step ${step}:\n${text}`;
  samples.prepend(pre);
}

function showView(next: RunView): void {
  view = next;
  samples.replaceChildren();
  for (const s of view.samples) showSample(s.step, s.text);
  drawChart();
}

async function saveView(id: string): Promise<void> {
  if (id === shownRun) await store.saveNote(id, JSON.stringify(view));
}

function setButtons(state: TrainerState): void {
  const running = state === 'preparing' || state === 'training' || state === 'paused' || state === 'stopping';
  trainButton.disabled = running || !hasWasmSimd();
  pauseButton.disabled = !(state === 'training' || state === 'paused');
  pauseButton.textContent = state === 'paused' ? 'Continue' : 'Pause';
  stopButton.disabled = !(state === 'training' || state === 'paused');
  for (const b of runsList.querySelectorAll<HTMLButtonElement>('button[data-resume], button[data-delete]')) b.disabled = running;
  document.body.dataset.state = state;
}

/** How the user names a budget on this page, in the planner's messages. */
const budgetLabel = (minutes: number) => `Train for ${minutes} minutes`;
const byMinutes = (): boolean => (form.elements.namedItem('length') as RadioNodeList).value === 'minutes';
const showLength = (): void => void (form.dataset.length = byMinutes() ? 'minutes' : 'epochs');

/** A time-budget run's plan table (what it chose and why), or none. */
function showPlan(table: readonly string[] | undefined): void {
  planBox.hidden = table === undefined;
  planTable.textContent = table ? table.join('\n') : '';
}

const corpusChoice = (): string => (form.elements.namedItem('corpus') as RadioNodeList).value;
const chooseCorpus = (value: 'embedded' | 'file' | 'paste'): void => void ((form.elements.namedItem('corpus') as RadioNodeList).value = value);

/** Batch size and BPTT as the form has them now. */
function batchSettings(): { bs: number; bptt: number } {
  const data = new FormData(form);
  return { bs: Number(data.get('bs')), bptt: Number(data.get('bptt')) };
}

/** The chosen text's size against the form's batch size and BPTT: a status line, or the problem (shown as an error). */
function checkChosenCorpus(): string | undefined {
  const choice = corpusChoice();
  let problem: string | undefined;
  if (choice === 'embedded') {
    corpusStatus.textContent = "The lesson's Nietzsche: about 600,000 characters.";
  } else if (choice === 'file') {
    if (!fileChoice) problem = 'Choose or drop a text file, paste text, or pick the embedded corpus.';
    else if ('refused' in fileChoice) problem = fileChoice.refused;
    // A time budget plans its batch and BPTT to the corpus; the worker refuses a corpus no recipe fits.
    else if (!byMinutes()) problem = corpusSizeProblem(fileChoice.name, fileChoice.text, batchSettings(), DEFAULT_FIT_OPTIONS.validFraction);
    if (!problem && fileChoice && 'text' in fileChoice) corpusStatus.textContent = `${fileChoice.name}: ${[...fileChoice.text].length.toLocaleString('en-US')} characters.`;
  } else {
    const text = pasteBox.value;
    if (text.trim() === '') problem = 'Paste some text into the box first.';
    else {
      try {
        decodeCorpus(new TextEncoder().encode(text), 'the pasted text');
        if (!byMinutes()) problem = corpusSizeProblem('The pasted text', text, batchSettings(), DEFAULT_FIT_OPTIONS.validFraction);
      } catch (e) {
        problem = plainMessage((e as Error).message);
      }
    }
    if (!problem) corpusStatus.textContent = `Pasted text: ${[...text].length.toLocaleString('en-US')} characters.`;
  }
  if (problem) corpusStatus.textContent = '';
  showError(problem ?? '');
  return problem;
}

async function readCorpusFile(file: File): Promise<void> {
  chooseCorpus('file');
  try {
    fileChoice = { name: file.name, text: decodeCorpus(new Uint8Array(await file.arrayBuffer()), file.name) };
  } catch (e) {
    fileChoice = { name: file.name, refused: plainMessage((e as Error).message) };
  }
  checkChosenCorpus();
}

async function corpusText(): Promise<{ name: string; text: string; corpus: string | undefined }> {
  const problem = checkChosenCorpus();
  if (problem) throw new Error(problem);
  const choice = corpusChoice();
  if (choice === 'file' && fileChoice && 'text' in fileChoice) return { name: fileChoice.name, text: fileChoice.text, corpus: fileChoice.name };
  if (choice === 'paste') return { name: PASTED_CORPUS_NAME, text: pasteBox.value, corpus: PASTED_CORPUS_NAME };
  const response = await fetch(EMBEDDED_CORPUS_URL);
  if (!response.ok) throw new Error(`Could not fetch the embedded corpus (${EMBEDDED_CORPUS_URL}: HTTP ${response.status}).`);
  return { name: EMBEDDED_CORPUS_NAME, text: decodeCorpus(new Uint8Array(await response.arrayBuffer()), EMBEDDED_CORPUS_NAME), corpus: undefined };
}

/** A field of the settings form: each is an input or a select (no file inputs), so its value is a string. */
function formField(data: FormData, name: string): string {
  const value = data.get(name);
  if (typeof value !== 'string') throw new Error(`the settings form has no field '${name}'`);
  return value;
}

function optionsFromForm(corpus: string | undefined): FitOptions {
  const data = new FormData(form);
  const int = (name: string) => Number(formField(data, name));
  const maxBatches = formField(data, 'maxBatches').trim();
  if (byMinutes()) {
    const minutesField = formField(data, 'minutes').trim();
    const minutes = minutesField === '' ? NaN : Number(minutesField);
    checkMinutes(minutes, budgetLabel);
    // The rest is planned in the worker, as `train:fit --minutes` plans it (faithful text, as there).
    return resolveTextOptions({ ...DEFAULT_FIT_OPTIONS, corpus, seed: int('seed'), minutes });
  }
  // A visitor's own text is read as written (line breaks kept); the embedded corpus as the lesson reads it.
  return resolveTextOptions({
    ...DEFAULT_FIT_OPTIONS,
    corpus,
    arch: formField(data, 'arch') as FitOptions['arch'],
    embed: int('embed'),
    hidden: int('hidden'),
    layers: int('layers'),
    bs: int('bs'),
    bptt: int('bptt'),
    schedule: `${int('epochs')}@${formField(data, 'lr')}`,
    seed: int('seed'),
    maxBatches: maxBatches === '' ? null : Number(maxBatches),
  });
}

/** The form as a run was set up: its model, batches, schedule and provider. */
function showSettings(run: RunRecord): void {
  const o = run.options;
  const set = (name: string, value: string | number) => {
    const field = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
    if (field) field.value = String(value);
  };
  set('arch', o.arch);
  set('hidden', o.hidden);
  set('embed', o.embed);
  set('layers', o.layers);
  set('bs', o.bs);
  set('bptt', o.bptt);
  set('seed', o.seed);
  set('maxBatches', o.maxBatches ?? '');
  set('provider', run.provider);
  (form.elements.namedItem('length') as RadioNodeList).value = o.minutes !== undefined ? 'minutes' : 'epochs';
  if (o.minutes !== undefined) set('minutes', o.minutes);
  showLength();
  showPlan(run.plan);
  const piecewise = /^(\d+)@([0-9.e+-]+)$/.exec(o.schedule);
  if (piecewise) {
    set('epochs', piecewise[1]);
    set('lr', piecewise[2]);
  } else {
    const schedule = parseSchedule(o.schedule);
    if (schedule.kind !== 'cosine' || schedule.epochs !== null) set('epochs', totalEpochs(schedule));
  }
  if (o.corpus === undefined) chooseCorpus('embedded');
}

/** Shows a stored run: its settings in the form, its chart and samples, its downloads. */
async function showRun(run: RunRecord): Promise<void> {
  shownRun = run.id;
  showSettings(run);
  const note = await store.note(run.id);
  showView(note ? (JSON.parse(note) as RunView) : { trainPoints: [], validPoints: [], samples: [] });
  await showDownloads(run.id);
  for (const li of runsList.querySelectorAll<HTMLElement>('li')) li.classList.toggle('shown', li.dataset.run === run.id);
}

function clearDownloads(): void {
  downloads.replaceChildren();
  shownFiles = undefined;
  downloadAll.disabled = true;
  loadButton.disabled = true;
}

/** The files the download links show, and the folder their zip puts them in. */
let shownFiles: { folder: string; files: readonly CheckpointFile[] } | undefined;

async function showDownloads(id: string): Promise<void> {
  const files: CheckpointFile[] = (await store.checkpointFiles(id)) ?? [];
  for (const a of downloads.querySelectorAll('a')) URL.revokeObjectURL(a.href);
  downloads.replaceChildren(
    ...files.map((f) => {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
      a.download = f.name;
      a.dataset.file = f.name;
      a.textContent = `${f.name} (${(f.bytes.byteLength / 1024).toFixed(1)} kB)`;
      return a;
    }),
  );
  shownFiles = { folder: `charrnn-${id}`, files };
  downloadAll.disabled = files.length === 0;
  const onnx = files.find((f) => f.name === ONNX_FILE);
  if (onnxUrl) URL.revokeObjectURL(onnxUrl);
  onnxUrl = onnx ? URL.createObjectURL(new Blob([onnx.bytes as Uint8Array<ArrayBuffer>])) : undefined;
  loadButton.disabled = onnxUrl === undefined;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

async function showRuns(): Promise<void> {
  runs = await store.list();
  const items = await Promise.all(
    runs.map(async (run) => {
      const reader = await store.checkpoint(run.id);
      let record: TrainerRecord | undefined;
      if (reader) record = JSON.parse(new TextDecoder().decode(await reader.read(TRAINER_FILE))) as TrainerRecord;
      const li = document.createElement('li');
      li.dataset.run = run.id;
      li.classList.toggle('shown', run.id === shownRun);
      const o = run.options;
      const budget = o.minutes !== undefined ? `${Math.round(record?.elapsed ?? 0)} s of ${o.minutes} min, ` : '';
      const where = record ? (record.complete ? 'complete' : budget ? `${budget}step ${record.step}` : `epoch ${record.epoch + 1}/${record.totalEpochs}, batch ${record.batch}, step ${record.step}`) : 'no checkpoint yet';
      const time = document.createElement('time');
      time.dateTime = run.created;
      time.textContent = dateFormat.format(new Date(run.created));
      li.append(time, ` ${run.corpusName}: ${o.arch} h${o.hidden}, ${o.schedule}, ${run.provider} — ${where} `);
      const button = (text: string, data: string, onclick: () => void, secondary = true) => {
        const b = document.createElement('button');
        b.type = 'button';
        if (secondary) b.className = 'secondary';
        b.textContent = text;
        b.dataset[data] = run.id;
        b.onclick = onclick;
        li.append(' ', b);
        return b;
      };
      button('Show', 'show', () => void showRun(run).catch((e: Error) => showError(e.message)));
      if (record && !record.complete) {
        button(
          'Resume',
          'resume',
          () =>
            void showRun(run).then(() => {
              showError('');
              trainer.resume(run.id);
            }),
          false,
        );
      }
      const remove = button('Delete', 'delete', () => void deleteRun(run.id));
      remove.setAttribute('aria-label', `Delete the run of ${time.textContent} on ${run.corpusName}`);
      return li;
    }),
  );
  runsList.replaceChildren(...items);
  setButtons(trainer.state);
}

async function deleteRun(id: string): Promise<void> {
  if (trainer.runId === id && ['preparing', 'training', 'paused', 'stopping'].includes(trainer.state)) return;
  await store.remove(id);
  if (shownRun === id) {
    shownRun = null;
    showView({ trainPoints: [], validPoints: [], samples: [] });
    clearDownloads();
    bar.value = 0;
    progressText.textContent = '';
  }
  await showRuns();
}

trainer.on('state', (m) => {
  const engine = m.engine ? ` on ${m.engine}` : '';
  const text: Record<TrainerState, string> = {
    idle: 'Idle.',
    preparing: 'Preparing the corpus and the training graphs…',
    training: `Training${engine}.`,
    paused: 'Paused.',
    stopping: 'Stopping after this batch…',
    stopped: 'Stopped; the checkpoint is saved (Resume continues it).',
    finished: 'Finished.',
    failed: 'Failed (see the message above).',
  };
  if (m.state !== 'training' || m.engine || !stateText.textContent?.startsWith('Training')) stateText.textContent = text[m.state];
  setButtons(m.state);
  // The live line (batch, loss, ETA) ends with the run: it says where the run ended, or nothing.
  if (m.state === 'failed') {
    progressText.textContent = '';
    bar.value = 0;
  } else if (m.state === 'stopped') {
    const p = lastProgress;
    progressText.textContent = p?.budgetSeconds !== undefined ? `Stopped at ${formatSeconds(p.elapsed ?? 0)} of the budget's ${formatSeconds(p.budgetSeconds)}.` : lastProgress ? `Stopped at epoch ${lastProgress.epoch + 1}/${lastProgress.epochs}, batch ${lastProgress.batch}/${lastProgress.batches}.` : 'Stopped.';
  } else if (m.state === 'finished') {
    bar.value = 1;
    const last = view.validPoints.at(-1);
    const at = view.x === 'seconds' ? `at ${formatSeconds(last?.[0] ?? 0)}` : `after epoch ${last?.[0]}`;
    progressText.textContent = `Finished${last ? `: validation loss ${last[1].toFixed(3)} ${at}` : ''}.`;
  }
  if (m.state === 'stopped' || m.state === 'finished') {
    drawChart();
    if (m.runId) void saveView(m.runId);
    void showRuns();
  }
});
trainer.on('corpus', (m) => {
  const i = m.info;
  const length = i.budgetSeconds !== undefined ? `a budget of ${formatSeconds(i.budgetSeconds)}` : `${i.epochBatches.reduce((sum, n) => sum + n, 0).toLocaleString('en-US')} batches in ${i.epochs} epochs`;
  corpusStatus.textContent = `Vocabulary ${i.vocabSize}, ${i.trainChars.toLocaleString('en-US')} training and ${i.validChars.toLocaleString('en-US')} validation characters; ${length}.`;
});
trainer.on('progress', (m) => {
  const i = m.info;
  lastProgress = i;
  view.smoothed = view.smoothed === undefined ? i.loss : 0.95 * view.smoothed + 0.05 * i.loss;
  if (i.budgetSeconds !== undefined) {
    // A time budget: the bar counts seconds toward its deadline.
    view.x = 'seconds';
    view.trainPoints.push([i.elapsed ?? 0, view.smoothed]);
    bar.value = Math.min(1, (i.elapsed ?? 0) / i.budgetSeconds);
    progressText.textContent =
      `${formatSeconds(i.elapsed ?? 0)} of ${formatSeconds(i.budgetSeconds)} · step ${i.step} · loss ${i.loss.toFixed(3)} · ` +
      `${Math.round(i.charsPerSecond).toLocaleString('en-US')} chars/s · ends in ${formatSeconds(i.etaSeconds)}`;
    if (performance.now() - chartDrawnAt > 1000) drawChart();
    return;
  }
  view.trainPoints.push([i.epoch + i.batch / Math.max(1, i.batches), view.smoothed]);
  bar.value = i.done / Math.max(1, i.total);
  progressText.textContent =
    `epoch ${i.epoch + 1}/${i.epochs} · batch ${i.batch}/${i.batches} · loss ${i.loss.toFixed(3)} · ` +
    `${Math.round(i.charsPerSecond).toLocaleString('en-US')} chars/s · ETA ${formatSeconds(i.etaSeconds)}`;
  if (performance.now() - chartDrawnAt > 1000) drawChart();
});
trainer.on('validating', (m) => {
  if (lastProgress?.budgetSeconds !== undefined) {
    progressText.textContent = `Validating at ${formatSeconds(lastProgress.elapsed ?? 0)} on ${m.characters.toLocaleString('en-US')} held-out characters…`;
    return;
  }
  const epoch = lastProgress ? ` after epoch ${lastProgress.epoch + 1}/${lastProgress.epochs}` : '';
  progressText.textContent = `Validating${epoch} on ${m.characters.toLocaleString('en-US')} held-out characters…`;
});
trainer.on('epoch', (m) => {
  view.validPoints.push([view.x === 'seconds' ? (m.record.elapsed ?? 0) : m.record.epoch, m.record.validLoss]);
  drawChart();
});
trainer.on('saved', (m) => {
  void saveView(m.runId);
  void showDownloads(m.runId);
  void showRuns();
});
trainer.on('sample', (m) => {
  view.samples.push({ step: m.step, text: m.text });
  showSample(m.step, m.text);
});
trainer.on('error', (m) => showError(plainMessage(m.message)));
trainer.on('plan', (m) => {
  showPlan(m.table);
  void showRuns();
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    showError('');
    try {
      requireWasmSimd();
      const { name, text, corpus } = await corpusText();
      const provider = formField(new FormData(form), 'provider') as BrowserProvider;
      const run = newRunRecord(optionsFromForm(corpus), name, provider);
      shownRun = run.id;
      lastProgress = undefined;
      bar.value = 0;
      progressText.textContent = '';
      clearDownloads();
      showView({ trainPoints: [], validPoints: [], samples: [], ...(run.options.minutes !== undefined ? { x: 'seconds' as const } : {}) });
      showPlan(undefined);
      trainer.start(run, text);
    } catch (e) {
      showError((e as Error).message);
    }
  })();
});
pauseButton.addEventListener('click', () => (trainer.state === 'paused' ? trainer.continue() : trainer.pause()));
stopButton.addEventListener('click', () => trainer.stop());
// Zipped when asked, not at each save: the same files as the links beside it.
downloadAll.addEventListener('click', () => {
  if (shownFiles === undefined) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([zipRun(shownFiles.folder, shownFiles.files) as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
  a.download = `${shownFiles.folder}.zip`;
  a.click();
  // The download has its own reference to the blob once it has started.
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
});
loadButton.addEventListener('click', () => {
  if (onnxUrl) generator.setAttribute('src', onnxUrl);
});
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) void readCorpusFile(file);
});
pasteBox.addEventListener('input', () => {
  chooseCorpus('paste');
  checkChosenCorpus();
});
for (const radio of form.querySelectorAll('input[name=corpus]')) radio.addEventListener('change', () => checkChosenCorpus());
for (const radio of form.querySelectorAll('input[name=length]'))
  radio.addEventListener('change', () => {
    showLength();
    checkChosenCorpus();
  });
(form.elements.namedItem('minutes') as HTMLInputElement).addEventListener('focus', () => {
  (form.elements.namedItem('length') as RadioNodeList).value = 'minutes';
  showLength();
});
for (const name of ['bs', 'bptt']) (form.elements.namedItem(name) as HTMLInputElement).addEventListener('input', () => void (corpusChoice() !== 'embedded' && checkChosenCorpus()));
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) void readCorpusFile(file);
});
let chartWidth = chart.clientWidth;
new ResizeObserver(() => {
  if (chart.clientWidth !== chartWidth) {
    chartWidth = chart.clientWidth;
    drawChart();
  }
}).observe(chart);

/** WebGPU only where the browser gives an adapter (an API without one fails at the first session). */
async function offerWebGpu(): Promise<void> {
  const option = form.querySelector<HTMLOptionElement>('option[value=webgpu]')!;
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  let adapter: unknown;
  try {
    adapter = gpu ? await gpu.requestAdapter() : null;
  } catch {
    adapter = null;
  }
  option.disabled = adapter === null;
  option.textContent = adapter === null ? `WebGPU (${gpu ? 'no GPU adapter on this device' : 'not in this browser'})` : 'WebGPU';
  if (option.disabled && option.selected) (form.elements.namedItem('provider') as HTMLSelectElement).value = 'wasm';
  form.dataset.webgpu = adapter === null ? 'no' : 'yes';
}

setButtons('idle');
showLength();
checkChosenCorpus();
if (!hasWasmSimd()) {
  try {
    requireWasmSimd();
  } catch (e) {
    showError((e as Error).message);
  }
}
void (async () => {
  await offerWebGpu();
  await showRuns();
  // After a reload: the newest run, as it was left.
  const latest = runs.at(-1);
  if (latest) await showRun(latest);
  document.body.dataset.ready = 'true';
})().catch((e: Error) => showError(e.message));
