/**
 * The training page: settings → a run in the training worker (BrowserTrainer), its progress, loss
 * chart and samples, the runs kept in this browser (resume after a reload), downloads of the
 * checkpoint and ONNX model, and the trained model in <char-rnn-generator>.
 */
import { decodeCorpus } from '@charrnn/data';
import '@charrnn/infer-web/element';
import {
  BrowserTrainer,
  DEFAULT_FIT_OPTIONS,
  resolveTextOptions,
  ONNX_FILE,
  TRAINER_FILE,
  hasWasmSimd,
  lineChartSvg,
  newRunRecord,
  opfsRunStore,
  requireWasmSimd,
  type BrowserProvider,
  type CheckpointFile,
  type FitOptions,
  type TrainerRecord,
  type TrainerState,
} from '@charrnn/train/browser';
import { EMBEDDED_CORPUS_NAME, EMBEDDED_CORPUS_URL } from './corpus.js';

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
const trainButton = $<HTMLButtonElement>('#train');
const pauseButton = $<HTMLButtonElement>('#pause');
const stopButton = $<HTMLButtonElement>('#stop');
const loadButton = $<HTMLButtonElement>('#load-generator');
const generator = $('#generator');
const corpusStatus = $('#corpus-status');
const fileInput = $<HTMLInputElement>('#corpus-file');
const drop = $('#drop');

const store = opfsRunStore();
const pageParams = new URLSearchParams(location.search);
const workerUrl = new URL('./worker.js', import.meta.url);
for (const key of ['threads', 'sampleEvery', 'saveEvery']) if (pageParams.has(key)) workerUrl.searchParams.set(key, pageParams.get(key)!);
const trainer = new BrowserTrainer(new Worker(workerUrl, { type: 'module' }));
(globalThis as { charrnnTrainer?: BrowserTrainer }).charrnnTrainer = trainer;

let dropped: { name: string; text: string } | undefined;
let trainPoints: [number, number][] = [];
let validPoints: [number, number][] = [];
let smoothed: number | undefined;
let chartDrawnAt = 0;
let onnxUrl: string | undefined;

function showError(message: string): void {
  errorBox.textContent = message;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

function drawChart(): void {
  const series = [{ name: 'training loss (smoothed)', color: '#1f77b4', points: trainPoints }];
  if (validPoints.length > 0) series.push({ name: 'validation loss', color: '#d62728', points: validPoints });
  chart.innerHTML = trainPoints.length < 2 ? '' : lineChartSvg(series, { title: 'loss per character', xLabel: 'epoch', yLabel: 'NLL', width: 560, height: 300 });
  chartDrawnAt = performance.now();
}

function setButtons(state: TrainerState): void {
  const running = state === 'preparing' || state === 'training' || state === 'paused' || state === 'stopping';
  trainButton.disabled = running || !hasWasmSimd();
  pauseButton.disabled = !(state === 'training' || state === 'paused');
  pauseButton.textContent = state === 'paused' ? 'Continue' : 'Pause';
  stopButton.disabled = !(state === 'training' || state === 'paused');
  for (const b of runsList.querySelectorAll<HTMLButtonElement>('button[data-resume]')) b.disabled = running;
  document.body.dataset.state = state;
}

async function readCorpusFile(file: File): Promise<void> {
  dropped = undefined;
  try {
    const text = decodeCorpus(new Uint8Array(await file.arrayBuffer()), file.name);
    dropped = { name: file.name, text };
    corpusStatus.textContent = `${file.name}: ${text.length.toLocaleString()} characters.`;
    (form.elements.namedItem('corpus') as RadioNodeList).value = 'file';
    showError('');
  } catch (e) {
    corpusStatus.textContent = '';
    showError((e as Error).message);
  }
}

async function corpusText(): Promise<{ name: string; text: string; corpus: string | undefined }> {
  if ((form.elements.namedItem('corpus') as RadioNodeList).value === 'file') {
    if (!dropped) throw new Error('choose or drop a text file first, or pick the embedded corpus');
    return { name: dropped.name, text: dropped.text, corpus: dropped.name };
  }
  const response = await fetch(EMBEDDED_CORPUS_URL);
  if (!response.ok) throw new Error(`could not fetch the embedded corpus (${EMBEDDED_CORPUS_URL}: HTTP ${response.status})`);
  return { name: EMBEDDED_CORPUS_NAME, text: decodeCorpus(new Uint8Array(await response.arrayBuffer()), EMBEDDED_CORPUS_NAME), corpus: undefined };
}

function optionsFromForm(corpus: string | undefined): FitOptions {
  const data = new FormData(form);
  const int = (name: string) => Number(data.get(name));
  const maxBatches = String(data.get('maxBatches') ?? '').trim();
  // A visitor's own file is read as written (line breaks kept); the embedded corpus as the lesson reads it.
  return resolveTextOptions({
    ...DEFAULT_FIT_OPTIONS,
    corpus,
    arch: String(data.get('arch')) as FitOptions['arch'],
    embed: int('embed'),
    hidden: int('hidden'),
    layers: int('layers'),
    bs: int('bs'),
    bptt: int('bptt'),
    schedule: `${int('epochs')}@${String(data.get('lr'))}`,
    seed: int('seed'),
    maxBatches: maxBatches === '' ? null : Number(maxBatches),
  });
}

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
  const onnx = files.find((f) => f.name === ONNX_FILE);
  if (onnxUrl) URL.revokeObjectURL(onnxUrl);
  onnxUrl = onnx ? URL.createObjectURL(new Blob([onnx.bytes as Uint8Array<ArrayBuffer>])) : undefined;
  loadButton.disabled = onnxUrl === undefined;
}

async function showRuns(): Promise<void> {
  const runs = await store.list();
  const items = await Promise.all(
    runs.map(async (run) => {
      const reader = await store.checkpoint(run.id);
      let record: TrainerRecord | undefined;
      if (reader) record = JSON.parse(new TextDecoder().decode(await reader.read(TRAINER_FILE))) as TrainerRecord;
      const li = document.createElement('li');
      li.dataset.run = run.id;
      const o = run.options;
      const where = record ? (record.complete ? 'complete' : `epoch ${record.epoch + 1}/${record.totalEpochs}, batch ${record.batch}, step ${record.step}`) : 'no checkpoint yet';
      li.append(`${run.corpusName}: ${o.arch} h${o.hidden}, ${o.schedule}, ${run.provider} — ${where} `);
      const show = document.createElement('button');
      show.className = 'secondary';
      show.textContent = 'Files';
      show.dataset.files = run.id;
      show.onclick = () => void showDownloads(run.id);
      li.append(show);
      if (record && !record.complete) {
        const resume = document.createElement('button');
        resume.textContent = 'Resume';
        resume.dataset.resume = run.id;
        resume.onclick = () => {
          showError('');
          trainer.resume(run.id);
        };
        li.append(' ', resume);
      }
      return li;
    }),
  );
  runsList.replaceChildren(...items);
  setButtons(trainer.state);
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
  if (m.state === 'stopped' || m.state === 'finished') {
    drawChart();
    void showRuns();
  }
});
trainer.on('corpus', (m) => {
  const i = m.info;
  corpusStatus.textContent = `vocabulary ${i.vocabSize}, ${i.trainChars.toLocaleString()} training and ${i.validChars.toLocaleString()} validation characters; ${i.batchesPerEpoch} batches per epoch, ${i.epochs} epochs.`;
});
trainer.on('progress', (m) => {
  const i = m.info;
  smoothed = smoothed === undefined ? i.loss : 0.95 * smoothed + 0.05 * i.loss;
  trainPoints.push([i.epoch + i.batch / Math.max(1, i.batches), smoothed]);
  bar.value = (i.epoch * i.batches + i.batch) / Math.max(1, i.epochs * i.batches);
  progressText.textContent =
    `epoch ${i.epoch + 1}/${i.epochs} · batch ${i.batch}/${i.batches} · loss ${i.loss.toFixed(3)} · ` +
    `${Math.round(i.charsPerSecond).toLocaleString()} chars/s · ETA ${formatSeconds(i.etaSeconds)}`;
  if (performance.now() - chartDrawnAt > 1000) drawChart();
});
trainer.on('epoch', (m) => {
  validPoints.push([m.record.epoch, m.record.validLoss]);
  drawChart();
});
trainer.on('saved', (m) => {
  void showDownloads(m.runId);
  void showRuns();
});
trainer.on('sample', (m) => {
  const pre = document.createElement('pre');
  pre.dataset.step = String(m.step);
  pre.textContent = `step ${m.step}:\n${m.text}`;
  samples.prepend(pre);
});
trainer.on('error', (m) => showError(`${m.name}: ${m.message}`));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    showError('');
    try {
      requireWasmSimd();
      const { name, text, corpus } = await corpusText();
      const provider = String(new FormData(form).get('provider')) as BrowserProvider;
      trainPoints = [];
      validPoints = [];
      smoothed = undefined;
      samples.replaceChildren();
      drawChart();
      trainer.start(newRunRecord(optionsFromForm(corpus), name, provider), text);
    } catch (e) {
      showError((e as Error).message);
    }
  })();
});
pauseButton.addEventListener('click', () => (trainer.state === 'paused' ? trainer.continue() : trainer.pause()));
stopButton.addEventListener('click', () => trainer.stop());
loadButton.addEventListener('click', () => {
  if (onnxUrl) generator.setAttribute('src', onnxUrl);
});
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) void readCorpusFile(file);
});
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

if (!('gpu' in navigator)) {
  const option = form.querySelector<HTMLOptionElement>('option[value=webgpu]')!;
  option.disabled = true;
  option.textContent = 'WebGPU (not in this browser)';
}
if (!hasWasmSimd()) {
  try {
    requireWasmSimd();
  } catch (e) {
    showError((e as Error).message);
  }
}
setButtons('idle');
void showRuns().catch((e: Error) => showError(e.message));
