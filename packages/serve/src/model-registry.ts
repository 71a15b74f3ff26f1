/**
 * The models a server serves: each loaded once, checked against contract 2 by infer-web, with one
 * session and one scheduler. Requests name a model; the first is the default.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelDescription, Tokenizer, validateContract, type ModelInfo, type RecurrentSession, type Runtime } from '@charrnn/infer-web/node';
import { NotFoundError, ServerOptionError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import type { ModelSpec } from './options.js';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler.js';

export interface ServedModel {
  /** What clients put in `model`. */
  readonly name: string;
  readonly info: ModelInfo;
  readonly tokenizer: Tokenizer;
  readonly scheduler: Scheduler;
  /** The execution provider in use ('cpu', 'cuda'). */
  readonly backend: string;
  /** Seconds since the epoch when it was loaded (OpenAI's `created`). */
  readonly created: number;
  /** SHA-256 of the ONNX file, hex: saved sessions name the exact model they belong to. */
  readonly sha256: string;
  readonly session: RecurrentSession;
}

/** `…/<dir>/model.onnx` → `<dir>` (export:onnx's layout), else the file name without `.onnx`. */
export function modelNameFor(source: string | URL): string {
  const file = source instanceof URL ? (source.protocol === 'file:' ? fileURLToPath(source) : source.pathname) : source;
  const base = path.basename(file);
  const stem = base.replace(/\.onnx$/i, '');
  const name = stem === 'model' ? path.basename(path.dirname(file)) || stem : stem;
  return name.replace(/[^\w.:-]/g, '_').slice(0, 128) || 'model';
}

export class ModelRegistry {
  private constructor(private readonly byName: ReadonlyMap<string, ServedModel>) {}

  static async load(
    specs: readonly ModelSpec[],
    runtime: Runtime,
    schedulerOptions: SchedulerOptions,
    metrics: ServerMetrics,
  ): Promise<ModelRegistry> {
    const byName = new Map<string, ServedModel>();
    try {
      for (const [i, spec] of specs.entries()) {
        const name = spec.name ?? (spec.source instanceof Uint8Array ? `model-${i}` : modelNameFor(spec.source));
        if (byName.has(name)) throw new ServerOptionError(`two models are named ${JSON.stringify(name)}; give each a distinct name`);
        const bytes = spec.source instanceof Uint8Array ? spec.source : await runtime.readModel(spec.source);
        const info = validateContract(readModelDescription(bytes));
        const session = await runtime.createSession(bytes, info);
        const tokenizer = new Tokenizer(info.vocab, info.lower, info.text);
        const scheduler = new Scheduler(session, info, tokenizer, schedulerOptions, metrics.observerFor(name));
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        byName.set(name, { name, info, tokenizer, scheduler, backend: session.backend, created: Math.floor(Date.now() / 1000), sha256, session });
      }
    } catch (error) {
      await Promise.all([...byName.values()].map((m) => m.session.release()));
      throw error;
    }
    return new ModelRegistry(byName);
  }

  get all(): ServedModel[] {
    return [...this.byName.values()];
  }

  /** The named model (the first when `name` is undefined), or a 404 listing what there is. */
  get(name: string | undefined): ServedModel {
    if (name === undefined) return this.all[0];
    const model = this.byName.get(name);
    if (model === undefined) {
      throw new NotFoundError(`model ${JSON.stringify(name)} does not exist; this server has ${[...this.byName.keys()].map((n) => JSON.stringify(n)).join(', ')}`, 'model_not_found', 'model');
    }
    return model;
  }

  /** Resolves once no model has a stream running or queued. */
  async idle(): Promise<void> {
    await Promise.all(this.all.map((m) => m.scheduler.idle()));
  }

  /** Ends every stream of every model with `reason` and waits until they have ended. */
  async cut(reason: 'cancelled' | 'drain'): Promise<void> {
    await Promise.all(this.all.map((m) => m.scheduler.close(reason)));
  }

  async close(): Promise<void> {
    await this.cut('cancelled');
    await Promise.all(this.all.map((m) => m.session.release()));
  }
}
