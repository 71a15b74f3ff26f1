/**
 * The page side of in-page training: a typed handle on the training worker. The page creates the
 * Worker itself (its URL is the page's bundler's business) and listens for the worker's messages
 * as events: state, corpus, progress, epoch, saved, sample, log, error.
 */
import type { FitOptions } from '../trainer/fit-options.js';
import type { BrowserProvider, FromWorker, RunRecord, ToWorker, TrainerState } from './protocol.js';

/** What BrowserTrainer needs of a Worker (a MessagePort or a test double fits too). */
export interface WorkerLike {
  postMessage(message: ToWorker): void;
  addEventListener(type: 'message', listener: (event: { data: FromWorker }) => void): void;
  terminate?(): void;
}

type EventOf<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/** A new run's record: a fresh id, the options, where it runs. */
export function newRunRecord(options: FitOptions, corpusName: string, provider: BrowserProvider, now = new Date()): RunRecord {
  const random = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  const id = `${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${random}`;
  return { id, corpusName, options, provider, created: now.toISOString() };
}

export class BrowserTrainer {
  private readonly listeners = new Map<FromWorker['type'], Set<(message: FromWorker) => void>>();
  private currentState: TrainerState = 'idle';
  private currentRun: string | null = null;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (event) => {
      const message = event.data;
      if (message.type === 'state') {
        this.currentState = message.state;
        this.currentRun = message.runId;
      }
      for (const listener of this.listeners.get(message.type) ?? []) listener(message);
    });
  }

  get state(): TrainerState {
    return this.currentState;
  }

  /** The run being trained, or the last one. */
  get runId(): string | null {
    return this.currentRun;
  }

  /** Calls `listener` with every message of `type`; returns a function that removes it. */
  on<T extends FromWorker['type']>(type: T, listener: (message: EventOf<T>) => void): () => void {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    const wrapped = listener as (message: FromWorker) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Resolves with the first message of `type` that `accept` takes (tests, page scripts). */
  next<T extends FromWorker['type']>(type: T, accept: (message: EventOf<T>) => boolean = () => true): Promise<EventOf<T>> {
    return new Promise((resolve) => {
      const off = this.on(type, (message) => {
        if (!accept(message)) return;
        off();
        resolve(message);
      });
    });
  }

  /**
   * Starts a new run on `corpus` (its text); the worker stores both before training. A run with
   * `options.minutes` is planned first (planBudget, as `train:fit --minutes` plans): a 'plan'
   * message gives its table, and `given` names the settings the plan keeps (default: it chooses them all).
   */
  start(run: RunRecord, corpus: string, given?: Partial<FitOptions>): void {
    this.currentRun = run.id;
    this.worker.postMessage({ type: 'start', run, corpus, ...(given ? { given } : {}) });
  }

  /** Continues a stored run from its last checkpoint (after a reload, or after stop). */
  resume(id: string): void {
    this.currentRun = id;
    this.worker.postMessage({ type: 'resume', id });
  }

  pause(): void {
    this.worker.postMessage({ type: 'pause' });
  }

  continue(): void {
    this.worker.postMessage({ type: 'continue' });
  }

  /** The current batch finishes, a checkpoint is saved, and the state becomes 'stopped'. */
  stop(): void {
    this.worker.postMessage({ type: 'stop' });
  }

  terminate(): void {
    this.worker.terminate?.();
  }
}
