/**
 * A reusable barrier for a fixed number of threads over shared memory, that can be broken: the
 * data-parallel engine's workers meet at it between the phases of a step (all gradients written →
 * sums; all norms written → update), and a failed worker or the main thread breaks it so that no
 * thread waits forever for one that is gone.
 */

/** Int32 slots of a barrier's SharedArrayBuffer. */
const ARRIVED = 0;
const GENERATION = 1;
const BROKEN = 2;

export const BARRIER_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

export class BarrierBrokenError extends Error {
  override name = 'BarrierBrokenError';
}

export class Barrier {
  private readonly cells: Int32Array;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly parties: number,
  ) {
    this.cells = new Int32Array(buffer, 0, 3);
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

  /** Breaks the barrier for good: every thread waiting at it, and any that arrives later, throws. */
  break(): void {
    Atomics.store(this.cells, BROKEN, 1);
    // Waiters sleep on GENERATION; bumping it wakes them to see BROKEN.
    Atomics.add(this.cells, GENERATION, 1);
    Atomics.notify(this.cells, GENERATION);
  }

  get broken(): boolean {
    return Atomics.load(this.cells, BROKEN) !== 0;
  }
}
