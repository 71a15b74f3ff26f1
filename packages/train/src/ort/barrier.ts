/**
 * A reusable barrier for a fixed number of threads over shared memory, that can be broken: the
 * data-parallel engine's workers meet at it between the phases of a step (all gradients written →
 * sums; all norms written → update), and a failed worker or the main thread breaks it so that no
 * thread waits forever for one that is gone. Beside it, a count of finished updates: a worker
 * replies to a step once every gradient is in, and updates its slice after, while the main thread
 * prepares the next step; whoever reads the weights next waits for the count first.
 */

/** Int32 slots of a barrier's SharedArrayBuffer. */
const ARRIVED = 0;
const GENERATION = 1;
const BROKEN = 2;
const FINISHED = 3;

export const BARRIER_BYTES = 4 * Int32Array.BYTES_PER_ELEMENT;

/** Atomics.waitAsync (ES2024; Node 16 and later), not in this project's ES2023 lib. */
type WaitAsync = (cells: Int32Array, index: number, value: number, timeout?: number) => { async: false; value: string } | { async: true; value: Promise<string> };

export class BarrierBrokenError extends Error {
  override name = 'BarrierBrokenError';
}

export class Barrier {
  private readonly cells: Int32Array;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly parties: number,
  ) {
    this.cells = new Int32Array(buffer, 0, 4);
  }

  /**
   * Blocks until all parties have arrived (Atomics.wait: worker threads only), then returns;
   * throws BarrierBrokenError if the barrier is or becomes broken.
   */
  arrive(): void {
    const { cells } = this;
    const generation = Atomics.load(cells, GENERATION);
    if (Atomics.load(cells, BROKEN) !== 0) throw new BarrierBrokenError('another thread failed');
    if (Atomics.add(cells, ARRIVED, 1) + 1 === this.parties) {
      Atomics.store(cells, ARRIVED, 0);
      Atomics.add(cells, GENERATION, 1);
      Atomics.notify(cells, GENERATION);
      return;
    }
    while (Atomics.load(cells, GENERATION) === generation) {
      if (Atomics.load(cells, BROKEN) !== 0) throw new BarrierBrokenError('another thread failed');
      Atomics.wait(cells, GENERATION, generation);
    }
    // break() also moves the generation on, to wake the waiters.
    if (Atomics.load(cells, BROKEN) !== 0) throw new BarrierBrokenError('another thread failed');
  }

  /** Breaks the barrier for good: every thread waiting at it or for the finished count, and any that arrives later, throws. */
  break(): void {
    Atomics.store(this.cells, BROKEN, 1);
    // Waiters sleep on GENERATION; bumping it wakes them to see BROKEN.
    Atomics.add(this.cells, GENERATION, 1);
    Atomics.notify(this.cells, GENERATION);
    Atomics.notify(this.cells, FINISHED);
  }

  /** Counts one finished update (of one worker's slice) and wakes whoever waits for the count. */
  finish(): void {
    Atomics.add(this.cells, FINISHED, 1);
    Atomics.notify(this.cells, FINISHED);
  }

  get finished(): number {
    return Atomics.load(this.cells, FINISHED);
  }

  /** Blocks (Atomics.wait: worker threads only) until `count` updates have finished; throws BarrierBrokenError if the barrier is or becomes broken. */
  awaitFinished(count: number): void {
    const { cells } = this;
    for (let now = Atomics.load(cells, FINISHED); now < count; now = Atomics.load(cells, FINISHED)) {
      if (Atomics.load(cells, BROKEN) !== 0) throw new BarrierBrokenError('another thread failed');
      Atomics.wait(cells, FINISHED, now);
    }
    if (Atomics.load(cells, BROKEN) !== 0) throw new BarrierBrokenError('another thread failed');
  }

  /**
   * Resolves once `count` updates have finished, without blocking the event loop (so that the
   * calling thread still hears of a worker that exits); rejects with BarrierBrokenError if the
   * barrier is or becomes broken.
   */
  async finishedAsync(count: number): Promise<void> {
    const { cells } = this;
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    for (let now = Atomics.load(cells, FINISHED); now < count; now = Atomics.load(cells, FINISHED)) {
      if (Atomics.load(cells, BROKEN) !== 0) throw new BarrierBrokenError('another thread failed');
      const wait = waitAsync(cells, FINISHED, now);
      if (wait.async) await wait.value;
    }
    if (Atomics.load(cells, BROKEN) !== 0) throw new BarrierBrokenError('another thread failed');
  }

  get broken(): boolean {
    return Atomics.load(this.cells, BROKEN) !== 0;
  }
}
