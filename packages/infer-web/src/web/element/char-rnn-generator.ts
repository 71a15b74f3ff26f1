/**
 * `<char-rnn-generator src="model.onnx">`: loads a charrnn ONNX model with the browser entry
 * (onnxruntime-web) and streams generated text into its shadow DOM.
 *
 * Attributes (read when generation starts, so changing them between runs is enough):
 *   src          model URL (changing it reloads)
 *   prompt       text to start from (default: a newline)
 *   max-length   characters per run (maxNewTokens, default 200)
 *   temperature  softmax temperature, 0 = greedy (default 1)
 *   top-k        sample among the k most likely characters, 0 = off (default 0)
 *   top-p, min-p, presence-penalty, frequency-penalty, repetition-penalty
 *                the generation options of the same names (defaults 1, 0, 0, 0, 1)
 *   seed         seeds the random stream of each fresh run (after load or reset): same seed, same text
 *   backend      'auto' | 'webgpu' | 'wasm' (default 'auto')
 *   wasm-paths   URL prefix where onnxruntime-web's .wasm files are hosted
 *   cache        keep the model and the runtime in the Cache API for later visits (a value names the cache)
 *   worker       run the wasm backend in a Web Worker: the page stays responsive while it starts and runs
 *   autostart    start generating as soon as the model is loaded
 *   controls     show labelled prompt, length and temperature inputs; they write the attributes above
 * Reflected: `status` = empty | loading | ready | generating | error. The status line is a polite
 * live region; an error is said in plain words, the technical message behind a disclosure, with a
 * Retry button (a runtime that failed to start needs a page reload: onnxruntime-web does not retry).
 * Events (bubbling, composed): progress {loaded, total}, ready {info, backend}, token {text},
 * done GenerationResult, error {message, error}.
 * Styling: parts container, settings, field, input, controls, button, start, stop, reset, retry,
 * progress, status, details, output, prompt, generated; custom properties --char-rnn-* (listed in STYLE below).
 */
import { CharGenerator, type WebBackend, type WebLoadOptions } from '../runtime.js';
import { yieldToEventLoop } from '../../core/event-loop.js';
import type { ResolvedGenerationOptions } from '../../core/options.js';
import { BackendUnavailableError, ModelContractError, ModelFormatError, ModelSourceError } from '../../core/errors.js';
import { Rng, type CoreCharGenerator, type GenerationResult, type GeneratorSnapshot, type ModelInfo } from '../../core/index.js';

export type GeneratorStatus = 'empty' | 'loading' | 'ready' | 'generating' | 'error';

export interface TokenEventDetail {
  text: string;
}
export interface ProgressEventDetail {
  loaded: number;
  total: number | undefined;
}
export interface ReadyEventDetail {
  info: ModelInfo;
  backend: string;
}
export interface ErrorEventDetail {
  message: string;
  error: unknown;
}

/** The attribute-driven settings of one run, parsed and defaulted: the prompt, and the generation options an attribute sets. */
export interface ElementSettings extends Pick<ResolvedGenerationOptions, 'maxNewTokens' | 'temperature' | 'topK' | 'topP' | 'minP' | 'presencePenalty' | 'frequencyPenalty' | 'repetitionPenalty' | 'seed'> {
  prompt: string;
}

export const DEFAULT_PROMPT = '\n';
export const DEFAULT_MAX_LENGTH = 200;

/** Invalid attributes fall back to the default (an element must not throw on markup) but are reported. */
export function parseSettings(get: (name: string) => string | null, warn: (message: string) => void): ElementSettings {
  const number = <F extends number | undefined>(name: string, fallback: F, valid: (n: number) => boolean, expected: string): number | F => {
    const raw = get(name);
    if (raw === null || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (valid(n)) return n;
    warn(`<char-rnn-generator> attribute ${name}="${raw}" is invalid (expected ${expected}); using ${fallback ?? 'none'}`);
    return fallback;
  };
  const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  return {
    prompt: get('prompt') ?? DEFAULT_PROMPT,
    maxNewTokens: number('max-length', DEFAULT_MAX_LENGTH, isCount, 'an integer ≥ 0'),
    temperature: number('temperature', 1, (n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0'),
    topK: number('top-k', 0, isCount, 'an integer ≥ 0'),
    topP: number('top-p', 1, (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
    minP: number('min-p', 0, (n) => n >= 0 && n <= 1, 'a number in [0, 1]'),
    presencePenalty: number('presence-penalty', 0, Number.isFinite, 'a number'),
    frequencyPenalty: number('frequency-penalty', 0, Number.isFinite, 'a number'),
    repetitionPenalty: number('repetition-penalty', 1, (n) => n > 0 && Number.isFinite(n), 'a number > 0'),
    seed: number('seed', undefined, isCount, 'a non-negative integer'),
  };
}

const STYLE = `
:host {
  display: block;
  font-family: var(--char-rnn-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  font-size: var(--char-rnn-font-size, 14px);
  color: var(--char-rnn-color, #1d1d1f);
  background: var(--char-rnn-background, #fbfbf8);
  border: var(--char-rnn-border, 1px solid #d0d0c8);
  border-radius: var(--char-rnn-radius, 6px);
  padding: var(--char-rnn-padding, 12px);
}
:host([hidden]) { display: none; }
[part~=controls] { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
[part~=button] {
  font: inherit; padding: 4px 12px; cursor: pointer; border-radius: 4px;
  border: 1px solid var(--char-rnn-accent, #3b5bdb);
  background: transparent; color: var(--char-rnn-accent, #3b5bdb);
}
[part~=start] { background: var(--char-rnn-accent, #3b5bdb); color: var(--char-rnn-accent-text, #fff); }
[part~=button]:disabled { opacity: 0.4; cursor: default; }
[part~=progress] { flex: 1; min-width: 80px; accent-color: var(--char-rnn-accent, #3b5bdb); }
[part~=progress][hidden] { display: none; }
[part~=status] { margin: 8px 0; color: var(--char-rnn-muted-color, #6b6b66); min-height: 1.2em; }
:host([status=error]) [part~=status] {
  color: var(--char-rnn-error-color, #b00020);
  background: var(--char-rnn-error-background, #fdecee);
  border-left: 3px solid var(--char-rnn-error-color, #b00020);
  padding: 6px 8px; white-space: pre-wrap;
}
[part~=output] {
  margin: 0; white-space: pre-wrap; word-break: break-word; overflow: auto;
  min-height: var(--char-rnn-output-min-height, 6em);
  max-height: var(--char-rnn-output-max-height, 24em);
}
[part~=prompt] { color: var(--char-rnn-prompt-color, #3b5bdb); font-weight: 600; }
[part~=settings] { display: flex; gap: 8px 16px; flex-wrap: wrap; margin-bottom: 8px; }
[part~=settings][hidden], [part~=details][hidden], [part~=button][hidden] { display: none; }
[part~=field] { display: flex; flex-direction: column; gap: 2px; font-size: 0.9em; }
[part~=field].wide { flex: 1 1 16em; }
[part~=input] { font: inherit; padding: 4px 6px; border: 1px solid var(--char-rnn-input-border-color, #8a8a84); border-radius: 4px; background: #fff; color: inherit; }
input[part~=input] { width: 7em; }
textarea[part~=input] { resize: vertical; min-height: 2.4em; }
[part~=button]:focus-visible, [part~=input]:focus-visible { outline: 2px solid var(--char-rnn-accent, #3b5bdb); outline-offset: 2px; }
[part~=details] { margin: 0 0 8px; font-size: 0.9em; }
[part~=details] pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0 0; }
`;

const TEMPLATE = `
<style>${STYLE}</style>
<div part="container">
  <div part="settings" hidden>
    <label part="field" class="wide">Prompt <textarea part="input" data-setting="prompt" rows="2"></textarea></label>
    <label part="field">Length <input part="input" type="number" data-setting="max-length" min="0" step="1" inputmode="numeric"></label>
    <label part="field">Temperature <input part="input" type="number" data-setting="temperature" min="0" step="0.1" inputmode="decimal"></label>
  </div>
  <div part="controls">
    <button type="button" part="button start" data-action="start" disabled>Start</button>
    <button type="button" part="button stop" data-action="stop" disabled>Stop</button>
    <button type="button" part="button reset" data-action="reset" disabled>Reset</button>
    <button type="button" part="button retry" data-action="retry" hidden>Retry</button>
    <progress part="progress" max="1" hidden aria-label="Loading"></progress>
  </div>
  <div part="status" role="status" aria-live="polite"></div>
  <details part="details" hidden><summary>Technical details</summary><pre></pre></details>
  <pre part="output" role="region" aria-live="off" tabindex="0" aria-label="Generated text"><span part="prompt"></span><span part="generated"></span></pre>
</div>`;

/** The attributes the `controls` inputs edit. */
const SETTING_ATTRIBUTES = ['prompt', 'max-length', 'temperature'] as const;
/** Attributes that change how the model is loaded: editing one reloads it. */
const RUNTIME_ATTRIBUTES = new Set(['src', 'backend', 'wasm-paths', 'cache', 'worker']);

/** An error as a visitor reads it (`plain`) and as a developer does (`detail`). */
export interface ExplainedError {
  plain: string;
  detail: string;
  /** The runtime could not start: onnxruntime-web keeps that failure until the page is reloaded. */
  needsReload: boolean;
}

/**
 * Says what went wrong in words for the page's visitor, who can retry or check the connection but
 * cannot fix the site; the library's message, which names files and fixes for the site's author,
 * stays in `detail`.
 */
export function explainError(stage: 'load' | 'generate', error: unknown): ExplainedError {
  const detail = String((error as { message?: unknown } | null)?.message ?? error);
  if (stage === 'generate') return { plain: 'Generation stopped with an error. Press Reset to start again.', detail, needsReload: false };
  if (error instanceof BackendUnavailableError) {
    return { plain: 'The text generator could not start: part of it did not download. Check the connection, then reload the page.', detail, needsReload: true };
  }
  if (error instanceof ModelSourceError && /HTTP 404\b/.test(detail)) {
    return { plain: 'Could not load the model: the site has no model file at this address.', detail, needsReload: false };
  }
  if (error instanceof ModelFormatError || error instanceof ModelContractError || (error instanceof ModelSourceError && /not an ONNX file/.test(detail))) {
    return { plain: 'Could not load the model: the file is not a model this generator can run.', detail, needsReload: false };
  }
  if (error instanceof ModelSourceError) {
    return { plain: 'Could not load the model: the download failed. Check the connection, then press Retry.', detail, needsReload: false };
  }
  return { plain: 'Could not load the model. Press Retry to try again.', detail, needsReload: false };
}

/** Generation yields to the page this often, so the text paints and Stop stays clickable. */
const YIELD_EVERY_MS = 30;

/** Node (server-side rendering, tests) has no HTMLElement: the class must still be importable there. */
const ElementBase: typeof HTMLElement =
  (globalThis as { HTMLElement?: typeof HTMLElement }).HTMLElement ?? (class {} as unknown as typeof HTMLElement);

export class CharRnnGeneratorElement extends ElementBase {
  static readonly observedAttributes = ['src', 'backend', 'wasm-paths', 'cache', 'worker', 'controls', ...SETTING_ATTRIBUTES];

  /** Extra options for CharGenerator.load (e.g. a logger, sessionOptions); attributes win. */
  loadOptions: WebLoadOptions = {};

  private gen: CoreCharGenerator | undefined;
  /** The state right after load: reset() returns here, so a seeded element replays its text. */
  private initial: GeneratorSnapshot | undefined;
  private loading: Promise<void> | undefined;
  /** Bumped on every (re)load, so a slow load that was superseded is released, not used. */
  private loadId = 0;
  private abort: AbortController | undefined;
  private running: Promise<GenerationResult | undefined> | undefined;
  private generatedText = '';
  private initialised = false;
  private readonly root: ShadowRoot;
  private readonly parts: {
    start: HTMLButtonElement;
    stop: HTMLButtonElement;
    reset: HTMLButtonElement;
    retry: HTMLButtonElement;
    progress: HTMLProgressElement;
    status: HTMLElement;
    details: HTMLDetailsElement;
    settings: HTMLElement;
    output: HTMLElement;
    prompt: HTMLElement;
    generated: HTMLElement;
  };
  /** What Retry does in the current error state. */
  private retryAction: (() => void) | undefined;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.innerHTML = TEMPLATE;
    const q = <T extends Element>(selector: string): T => this.root.querySelector(selector) as T;
    this.parts = {
      start: q('[data-action=start]'),
      stop: q('[data-action=stop]'),
      reset: q('[data-action=reset]'),
      retry: q('[data-action=retry]'),
      progress: q('progress'),
      status: q('[part~=status]'),
      details: q('[part~=details]'),
      settings: q('[part~=settings]'),
      output: q('[part~=output]'),
      prompt: q('[part~=prompt]'),
      generated: q('[part~=generated]'),
    };
    this.parts.start.addEventListener('click', () => void this.start());
    this.parts.stop.addEventListener('click', () => this.stop());
    this.parts.reset.addEventListener('click', () => void this.reset());
    this.parts.retry.addEventListener('click', () => this.retryAction?.());
    for (const input of this.settingInputs()) {
      input.addEventListener('input', () => {
        const name = input.dataset.setting!;
        // An emptied prompt means the default one; a new prompt means a new text, not a continuation.
        if (name === 'prompt' && input.value === '') this.removeAttribute(name);
        else this.setAttribute(name, input.value);
        if (name === 'prompt' && this.running === undefined && this.generatedText !== '') void this.reset();
      });
    }
  }

  /** The loaded generator (for the library API: fork, getState, generateBatch…), once ready. */
  get generator(): CoreCharGenerator | undefined {
    return this.gen;
  }

  /** The text generated since load or the last reset (the prompt not included). */
  get text(): string {
    return this.generatedText;
  }

  get status(): GeneratorStatus {
    return (this.getAttribute('status') as GeneratorStatus | null) ?? 'empty';
  }

  /** Settles when the current load has finished (successfully or in the error state). */
  get ready(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  connectedCallback(): void {
    this.initialised = true;
    this.showControls();
    if (this.gen === undefined && this.loading === undefined) void this.load();
  }

  disconnectedCallback(): void {
    // Moving the element disconnects and reconnects it in one task: only a real removal unloads.
    queueMicrotask(() => {
      if (!this.isConnected) void this.unload();
    });
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    // Before the first connectedCallback (parsing, upgrade) attributes are only recorded: one load follows.
    if (previous === value || !this.initialised || !this.isConnected) return;
    if (name === 'controls' || (SETTING_ATTRIBUTES as readonly string[]).includes(name)) {
      this.showControls();
      return;
    }
    if (RUNTIME_ATTRIBUTES.has(name) && (name === 'src' || this.gen !== undefined || this.loading !== undefined)) void this.load();
  }

  /** (Re)loads the model named by `src`; errors end in the error state, never as a rejection. */
  load(): Promise<void> {
    const id = ++this.loadId;
    this.stop();
    const src = this.getAttribute('src');
    const task = (async () => {
      await this.unloadGenerator();
      this.clearOutput();
      if (src === null || src.trim() === '') {
        this.setStatus('empty', 'No model: set the src attribute to a charrnn .onnx file.');
        return;
      }
      this.setStatus('loading', `Loading ${src}…`);
      this.showProgress(0, undefined);
      let gen: CoreCharGenerator | undefined;
      try {
        const settings = parseSettings((n) => this.getAttribute(n), (m) => console.warn(m));
        gen = await CharGenerator.load(new URL(src, document.baseURI), {
          ...this.loadOptions,
          ...this.runtimeAttributes(),
          seed: settings.seed ?? this.loadOptions.seed,
          onProgress: (loaded, total) => {
            if (id !== this.loadId) return;
            this.showProgress(loaded, total);
            // Counts the model and, where infer-web downloads it, the runtime; a compressing server gives no total.
            if (total !== undefined && loaded >= total) this.setStatus('loading', 'Starting the generator…');
            else this.parts.status.textContent = `Loading… ${(loaded / 1e6).toFixed(1)}${total === undefined ? '' : ` of ${(total / 1e6).toFixed(1)}`} MB`;
            this.emit<ProgressEventDetail>('progress', { loaded, total });
          },
        });
      } catch (error) {
        if (id !== this.loadId) return;
        const explained = explainError('load', error);
        this.fail(`Could not load the model ${src}: ${explained.detail}`, error, explained, () => {
          if (explained.needsReload) location.reload();
          else void this.load();
        });
        return;
      }
      if (id !== this.loadId) {
        await gen.release();
        return;
      }
      this.gen = gen;
      this.initial = gen.getState();
      this.setStatus('ready', this.describe(gen));
      this.emit<ReadyEventDetail>('ready', { info: gen.info, backend: gen.backend });
      if (this.hasAttribute('autostart')) void this.start();
    })();
    this.loading = task.finally(() => {
      if (id === this.loadId) this.loading = undefined;
    });
    return task;
  }

  /**
   * Generates `max-length` characters: from the prompt after load or reset, else continuing the
   * text already shown. Resolves with the result (undefined if not ready or failed).
   */
  async start(): Promise<GenerationResult | undefined> {
    if (this.running !== undefined) return this.running;
    const gen = this.gen;
    if (gen === undefined) return undefined;
    const settings = parseSettings((n) => this.getAttribute(n), (m) => console.warn(m));
    const fresh = this.parts.prompt.textContent === '' && this.generatedText === '';
    const prompt = fresh ? settings.prompt : '';
    // A fresh run starts from the loaded state with the random stream of the seed attribute as
    // it is now (the generator seeds its own stream this way at load), so editing seed takes effect.
    if (fresh && settings.seed !== undefined && this.initial !== undefined) {
      gen.setState({ ...this.initial, rng: [...Rng.fromSeed(settings.seed).state()] as GeneratorSnapshot['rng'] });
    }
    const abort = new AbortController();
    this.abort = abort;
    const task = (async (): Promise<GenerationResult | undefined> => {
      this.setStatus('generating', 'Generating…');
      try {
        if (fresh) this.parts.prompt.textContent = prompt;
        const stream = gen.generate(prompt, {
          maxNewTokens: settings.maxNewTokens,
          temperature: settings.temperature,
          topK: settings.topK,
          topP: settings.topP,
          minP: settings.minP,
          presencePenalty: settings.presencePenalty,
          frequencyPenalty: settings.frequencyPenalty,
          repetitionPenalty: settings.repetitionPenalty,
          signal: abort.signal,
        });
        let lastYield = performance.now();
        // The stream keeps no copy of what it yields; `done` reports this run's text from here.
        let text = '';
        for await (const chunk of stream) {
          text += chunk;
          this.generatedText += chunk;
          this.appendText(chunk);
          this.emit<TokenEventDetail>('token', { text: chunk });
          if (performance.now() - lastYield > YIELD_EVERY_MS) {
            await yieldToEventLoop();
            lastYield = performance.now();
          }
        }
        const result = { ...(await stream.result()), text };
        this.setStatus('ready', result.finishReason === 'abort' ? 'Stopped.' : this.describe(gen));
        this.emit<GenerationResult>('done', result);
        return result;
      } catch (error) {
        this.fail(`Generation failed: ${(error as Error).message}`, error, explainError('generate', error));
        return undefined;
      }
    })();
    this.running = task;
    this.updateButtons();
    // Cleared here rather than in the task's own finally: gen.generate can throw synchronously (a
    // prompt character the vocabulary lacks), and a finally that runs before `this.running = task`
    // would leave the element stuck as "running" with Start disabled for good.
    void task.finally(() => {
      if (this.running !== task) return;
      this.running = undefined;
      this.abort = undefined;
      this.updateButtons();
    });
    return task;
  }

  /** Ends the running generation at the next character (its `done` has finishReason 'abort'). */
  stop(): void {
    this.abort?.abort();
  }

  /** Stops, clears the text and returns the model to its state right after load. */
  async reset(): Promise<void> {
    this.stop();
    await this.running;
    this.clearOutput();
    if (this.gen !== undefined && this.initial !== undefined) {
      this.gen.setState(this.initial);
      this.setStatus('ready', this.describe(this.gen));
    }
  }

  private settingInputs(): (HTMLInputElement | HTMLTextAreaElement)[] {
    return Array.from(this.root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('[data-setting]'));
  }

  /** Shows the inputs when `controls` is set, holding the attributes' values (or their defaults). */
  private showControls(): void {
    this.parts.settings.hidden = !this.hasAttribute('controls');
    const settings = parseSettings((n) => this.getAttribute(n), () => undefined);
    const values: Record<(typeof SETTING_ATTRIBUTES)[number], string> = {
      prompt: this.getAttribute('prompt') ?? '',
      'max-length': String(settings.maxNewTokens),
      temperature: String(settings.temperature),
    };
    for (const input of this.settingInputs()) {
      const value = values[input.dataset.setting as (typeof SETTING_ATTRIBUTES)[number]];
      // Never rewrite the input being typed in (its caret would jump).
      if (input.value !== value && this.root.activeElement !== input) input.value = value;
    }
  }

  private runtimeAttributes(): Pick<WebLoadOptions, 'backend' | 'wasmPaths' | 'cache' | 'worker'> {
    const out: Pick<WebLoadOptions, 'backend' | 'wasmPaths' | 'cache' | 'worker'> = {};
    if (this.hasAttribute('worker')) out.worker = true;
    const backend = this.getAttribute('backend');
    if (backend !== null) out.backend = backend as WebBackend;
    const wasmPaths = this.getAttribute('wasm-paths');
    if (wasmPaths !== null) out.wasmPaths = new URL(wasmPaths, document.baseURI).href;
    const cache = this.getAttribute('cache');
    if (cache !== null) out.cache = cache === '' ? true : cache;
    return out;
  }

  private describe(gen: CoreCharGenerator): string {
    const { arch, hiddenSize, numLayers, vocabSize } = gen.info;
    return `Ready: ${arch.toUpperCase()} ${numLayers}×${hiddenSize}, ${vocabSize} characters, on ${gen.backend}.`;
  }

  private async unload(): Promise<void> {
    this.loadId++;
    this.loading = undefined;
    this.stop();
    await this.unloadGenerator();
  }

  private async unloadGenerator(): Promise<void> {
    const gen = this.gen;
    this.gen = undefined;
    this.initial = undefined;
    if (gen === undefined) return;
    await this.running;
    await gen.release();
  }

  /** Appends to one text node rather than re-rendering, so long outputs stay cheap to stream. */
  private appendText(chunk: string): void {
    // The box follows the text while its end is in view; a reader who scrolled up stays where they are.
    const box = this.parts.output;
    const following = box.scrollHeight - box.scrollTop - box.clientHeight <= 4;
    const node = this.parts.generated.firstChild;
    if (node instanceof Text) node.appendData(chunk);
    else this.parts.generated.append(chunk);
    if (following) box.scrollTop = box.scrollHeight;
  }

  private clearOutput(): void {
    this.generatedText = '';
    this.parts.prompt.textContent = '';
    this.parts.generated.textContent = '';
  }

  private showProgress(loaded: number, total: number | undefined): void {
    const bar = this.parts.progress;
    bar.hidden = false;
    if (total === undefined || total === 0 || loaded >= total) bar.removeAttribute('value');
    else bar.value = loaded / total;
  }

  private setStatus(status: GeneratorStatus, message: string): void {
    this.setAttribute('status', status);
    this.parts.status.textContent = message;
    if (status !== 'error') {
      this.parts.details.hidden = true;
      this.parts.details.open = false;
      this.parts.retry.hidden = true;
      this.retryAction = undefined;
    }
    if (status !== 'loading') this.parts.progress.hidden = true;
    this.updateButtons();
  }

  /** The error state: plain words in the live status line, the event's message behind the disclosure. */
  private fail(message: string, error: unknown, explained: ExplainedError, retry?: () => void): void {
    this.setStatus('error', explained.plain);
    this.parts.details.querySelector('pre')!.textContent = message;
    this.parts.details.hidden = false;
    this.retryAction = retry;
    this.parts.retry.hidden = retry === undefined;
    this.parts.retry.textContent = explained.needsReload ? 'Reload the page' : 'Retry';
    this.emit<ErrorEventDetail>('error', { message, error });
  }

  private updateButtons(): void {
    const ready = this.gen !== undefined && this.status !== 'error';
    const running = this.running !== undefined;
    // A focused button that becomes disabled drops keyboard focus to <body>: hand it to the button
    // that takes over (Start ⇄ Stop) first.
    const focused = this.root.activeElement;
    this.parts.start.disabled = !ready || running;
    this.parts.stop.disabled = !running;
    if (focused === this.parts.start && this.parts.start.disabled && !this.parts.stop.disabled) this.parts.stop.focus();
    if (focused === this.parts.stop && this.parts.stop.disabled && !this.parts.start.disabled) this.parts.start.focus();
    // Reset stays available after a failed generation (the model is still loaded): it is the way
    // back to the ready state without reloading.
    this.parts.reset.disabled = this.gen === undefined;
    this.parts.start.textContent = this.generatedText === '' ? 'Start' : 'Continue';
  }

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }
}

export const ELEMENT_NAME = 'char-rnn-generator';

/** Registers the element (idempotent; a no-op where there is no custom element registry). */
export function defineCharRnnGenerator(name: string = ELEMENT_NAME): void {
  const registry = (globalThis as { customElements?: CustomElementRegistry }).customElements;
  if (registry === undefined || registry.get(name) !== undefined) return;
  registry.define(name, name === ELEMENT_NAME ? CharRnnGeneratorElement : class extends CharRnnGeneratorElement {});
}

declare global {
  interface HTMLElementTagNameMap {
    'char-rnn-generator': CharRnnGeneratorElement;
  }
}
