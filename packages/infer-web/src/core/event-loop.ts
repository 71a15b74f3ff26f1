import { yieldToEventLoop } from '@charrnn/contract';

export { yieldToEventLoop };

/**
 * Gives the event loop a turn whenever `everyMs` milliseconds have passed since the last one. Long
 * work whose every await resolves through microtasks (a synchronous native run, an onnxruntime-web
 * wasm run that resolves at once) would otherwise starve timers, I/O and an AbortSignal fired from
 * them until it ends; a turn every few milliseconds costs one macrotask each, nothing measurable.
 */
export class EventLoopTurns {
  private last = performance.now();
  constructor(readonly everyMs: number) {}

  /** Whether a turn is due. */
  due(): boolean {
    return performance.now() - this.last >= this.everyMs;
  }

  /** One turn, now. */
  async take(): Promise<void> {
    await yieldToEventLoop();
    this.last = performance.now();
  }

  /** A turn if one is due; else nothing (not even a microtask). */
  whenDue(): Promise<void> | undefined {
    return this.due() ? this.take() : undefined;
  }
}
