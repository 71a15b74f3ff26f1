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
 *   autostart    start generating as soon as the model is loaded
 * Reflected: `status` = empty | loading | ready | generating | error.
 * Events (bubbling, composed): progress {loaded, total}, ready {info, backend}, token {text},
 * done GenerationResult, error {message, error}.
 * Styling: parts container, controls, button, start, stop, reset, progress, status, output,
 * prompt, generated; custom properties --char-rnn-* (listed in STYLE below).
 */
import { CharGenerator, type WebBackend, type WebLoadOptions } from '../browser.js';
import { yieldToEventLoop } from '../event-loop.js';
import { Rng, type CoreCharGenerator, type GenerationResult, type GeneratorSnapshot, type ModelInfo } from '../core.js';

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

/** The attribute-driven settings of one run, parsed and defaulted. */
export interface ElementSettings {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  repetitionPenalty: number;
  seed: number | undefined;
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
`;

const TEMPLATE = `
<style>${STYLE}</style>
<div part="container">
  <div part="controls">
    <button type="button" part="button start" data-action="start" disabled>Start</button>
    <button type="button" part="button stop" data-action="stop" disabled>Stop</button>
    <button type="button" part="button reset" data-action="reset" disabled>Reset</button>
    <progress part="progress" max="1" hidden></progress>
  </div>
  <div part="status" role="status" aria-live="polite"></div>
  <pre part="output" aria-live="off"><span part="prompt"></span><span part="generated"></span></pre>
</div>`;

/** Generation yields to the page this often, so the text paints and Stop stays clickable. */
const YIELD_EVERY_MS = 30;

/** Node (server-side rendering, tests) has no HTMLElement: the class must still be importable there. */
const ElementBase: typeof HTMLElement =
  (globalThis as { HTMLElement?: typeof HTMLElement }).HTMLElement ?? (class {} as unknown as typeof HTMLElement);

export class CharRnnGeneratorElement extends ElementBase {
  static readonly observedAttributes = ['src', 'backend', 'wasm-paths', 'cache'];

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
    progress: HTMLProgressElement;
    status: HTMLElement;
    prompt: HTMLElement;
    generated: HTMLElement;
  };

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.innerHTML = TEMPLATE;
    const q = <T extends Element>(selector: string): T => this.root.querySelector(selector) as T;
    this.parts = {
      start: q('[data-action=start]'),
      stop: q('[data-action=stop]'),
      reset: q('[data-action=reset]'),
      progress: q('progress'),
      status: q('[part~=status]'),
      prompt: q('[part~=prompt]'),
      generated: q('[part~=generated]'),
    };
    this.parts.start.addEventListener('click', () => void this.start());
    this.parts.stop.addEventListener('click', () => this.stop());
    this.parts.reset.addEventListener('click', () => void this.reset());
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
    if (name === 'src' || this.gen !== undefined || this.loading !== undefined) void this.load();
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
            if (total !== undefined && loaded >= total) this.setStatus('loading', 'Starting onnxruntime…');
            this.emit<ProgressEventDetail>('progress', { loaded, total });
          },
        });
      } catch (error) {
        if (id !== this.loadId) return;
        this.fail(`Could not load the model ${src}: ${(error as Error).message}`, error);
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
        this.fail(`Generation failed: ${(error as Error).message}`, error);
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

  private runtimeAttributes(): Pick<WebLoadOptions, 'backend' | 'wasmPaths' | 'cache'> {
    const out: Pick<WebLoadOptions, 'backend' | 'wasmPaths' | 'cache'> = {};
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
    const node = this.parts.generated.firstChild;
    if (node instanceof Text) node.appendData(chunk);
    else this.parts.generated.append(chunk);
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
    if (status !== 'loading') this.parts.progress.hidden = true;
    this.updateButtons();
  }

  private fail(message: string, error: unknown): void {
    this.setStatus('error', message);
    this.emit<ErrorEventDetail>('error', { message, error });
  }

  private updateButtons(): void {
    const ready = this.gen !== undefined && this.status !== 'error';
    const running = this.running !== undefined;
    this.parts.start.disabled = !ready || running;
    this.parts.stop.disabled = !running;
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
