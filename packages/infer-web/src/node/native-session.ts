/**
 * onnxruntime-node's synchronous native session, without its promise layer. The public
 * `InferenceSession.run` of onnxruntime-node defers every call to `setImmediate`, checks its
 * arguments and rewraps the outputs: about 5 µs of CPU per call, measured, on a step that costs
 * about 40 µs in all (see README "Where the time goes"). Generation is one call per character, so
 * the Node entry calls the native binding directly. If that binding is not where onnxruntime-node
 * 1.30 keeps it, `loadNativeBinding` gives undefined and the Node entry uses the public API.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { EventLoopTurns } from '../core/event-loop.js';
import type { OrtRunner } from '../core/ort-session.js';

type Feeds = Record<string, Tensor>;
type Outputs = InferenceSession.ReturnType;

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: InferenceSession.SessionOptions): void;
  readonly outputMetadata: readonly { name: string }[];
  run(feeds: Feeds, fetches: Record<string, null>, options: InferenceSession.RunOptions): Outputs;
  dispose(): void;
}

/** The part of onnxruntime-node's `dist/binding.js` used here. */
export interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

let loading: Promise<NativeBinding | undefined> | undefined;

/** onnxruntime-node's native binding, or undefined if this onnxruntime-node does not have it. */
export function loadNativeBinding(): Promise<NativeBinding | undefined> {
  loading ??= import('onnxruntime-node/dist/binding.js').then(
    (m: unknown) => {
      const candidate = ((m as { default?: unknown }).default ?? m) as Partial<NativeBinding>;
      return typeof candidate.initOrt === 'function' && typeof candidate.binding?.InferenceSession === 'function'
        ? (candidate as NativeBinding)
        : undefined;
    },
    () => undefined,
  );
  return loading;
}

/**
 * A run blocks the thread it is on (it did inside setImmediate too), and its promise layer is gone:
 * a caller that loops over runs without a turn of its own (serve's scheduler between flushes) would
 * starve timers, I/O and an AbortSignal fired from them. A run hands the event loop one turn
 * whenever this many milliseconds have passed since the last.
 */
const EVENT_LOOP_TURN_MS = 4;

export class NativeOrtRunner implements OrtRunner {
  private readonly fetches: Record<string, null> = {};
  private readonly runOptions: InferenceSession.RunOptions = {};
  private readonly turns = new EventLoopTurns(EVENT_LOOP_TURN_MS);

  private constructor(private readonly native: NativeSession) {
    for (const { name } of native.outputMetadata) this.fetches[name] = null;
  }

  /** Opens `model` as onnxruntime-node's InferenceSession.create would; throws what it throws. */
  static open(ort: NativeBinding, model: Uint8Array, options: InferenceSession.SessionOptions): NativeOrtRunner {
    ort.initOrt();
    const native = new ort.binding.InferenceSession();
    native.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, options);
    return new NativeOrtRunner(native);
  }

  run(feeds: Feeds): Outputs | Promise<Outputs> {
    const turn = this.turns.whenDue();
    if (turn === undefined) return this.native.run(feeds, this.fetches, this.runOptions);
    return turn.then(() => this.native.run(feeds, this.fetches, this.runOptions));
  }

  async release(): Promise<void> {
    this.native.dispose();
  }
}
