/**
 * The recurrent state of the streams stepped together, as one [layers, batch, hidden] buffer that
 * is fed to the model as h0 (and c0) and refilled from hn (cn) after each step.
 *
 * A stream's state lives either in its own row ([layers, 1, hidden], while it is queued, priming
 * or paused) or in a slot of this buffer (while it is in the batch). While the batch keeps its
 * members, a step costs one copy of hn and nothing else; only when a stream joins or leaves is the
 * buffer rebuilt (gather the joining rows, move the staying slots, write the leaving slots back to
 * their rows), O(layers · batch · hidden) once. With layers > 1 the row stride is the batch size,
 * so a change of batch size cannot be done in place.
 */
import { scatterRow } from '@charrnn/infer-web/node';

/** What the batch needs of a stream: its own row state and the slot it holds (-1 = none). */
export interface BatchRow {
  slot: number;
  readonly h: Float32Array;
  readonly c: Float32Array | undefined;
}

interface Buffers {
  h: Float32Array;
  c: Float32Array | undefined;
  tokens: BigInt64Array;
}

export class BatchState<Row extends BatchRow = BatchRow> {
  private current: Row[] = [];
  private buffers: Buffers;
  /**
   * Two buffer sets per batch size, used in turn: the adapter caches the tensor that wraps each
   * buffer (ort-session.ts), so reusing them keeps that cache warm, and a rebuild never reads and
   * writes the same buffer.
   */
  private readonly pool = new Map<number, [Buffers, Buffers]>();

  constructor(
    readonly numLayers: number,
    readonly hiddenSize: number,
    readonly lstm: boolean,
  ) {
    this.buffers = this.take(0);
  }

  get members(): readonly Row[] {
    return this.current;
  }

  get size(): number {
    return this.current.length;
  }

  /** [layers, batch, hidden], fed as h0 and refilled from hn. */
  get h(): Float32Array {
    return this.buffers.h;
  }

  get c(): Float32Array | undefined {
    return this.buffers.c;
  }

  /** [1, batch] token ids for the next step. */
  get tokens(): BigInt64Array {
    return this.buffers.tokens;
  }

  /**
   * Makes `next` the batch, in that order. Streams that leave get their state written back to
   * their own row; streams that join are gathered from theirs. Returns whether anything moved.
   */
  setMembers(next: readonly Row[]): boolean {
    const old = this.current;
    if (next.length === old.length && next.every((row, i) => old[i] === row && row.slot === i)) return false;
    const L = this.numLayers;
    const H = this.hiddenSize;
    const B0 = old.length;
    const B1 = next.length;
    const from = this.buffers;
    const to = this.take(B1);
    const staying = new Set<Row>(next);
    for (const row of old) {
      if (row.slot >= 0 && old[row.slot] === row && !staying.has(row)) this.writeBack(row);
    }
    next.forEach((row, j) => {
      const i = row.slot >= 0 && old[row.slot] === row ? row.slot : -1;
      for (let l = 0; l < L; l++) {
        const dst = (l * B1 + j) * H;
        if (i >= 0) {
          const src = (l * B0 + i) * H;
          to.h.set(from.h.subarray(src, src + H), dst);
          if (to.c !== undefined && from.c !== undefined) to.c.set(from.c.subarray(src, src + H), dst);
        } else {
          to.h.set(row.h.subarray(l * H, (l + 1) * H), dst);
          if (to.c !== undefined && row.c !== undefined) to.c.set(row.c.subarray(l * H, (l + 1) * H), dst);
        }
      }
    });
    next.forEach((row, j) => (row.slot = j));
    this.current = [...next];
    this.buffers = to;
    return true;
  }

  /**
   * Copies a member's slot back to its own row and frees the slot (the member stays listed until
   * the next setMembers, which then moves nothing for it). For a stream that ends mid-batch.
   */
  writeBack(row: Row): void {
    const i = row.slot;
    if (i < 0 || this.current[i] !== row) return;
    const B = this.current.length;
    scatterRow(this.buffers.h, row.h, i, B, this.numLayers, this.hiddenSize);
    if (row.c !== undefined && this.buffers.c !== undefined) scatterRow(this.buffers.c, row.c, i, B, this.numLayers, this.hiddenSize);
    row.slot = -1;
  }

  /** Takes hn (cn) of a step as the batch state. */
  update(hn: Float32Array, cn: Float32Array | undefined): void {
    this.buffers.h.set(hn);
    if (cn !== undefined && this.buffers.c !== undefined) this.buffers.c.set(cn);
  }

  private take(batch: number): Buffers {
    let pair = this.pool.get(batch);
    if (pair === undefined) {
      const make = (): Buffers => {
        const size = this.numLayers * batch * this.hiddenSize;
        return { h: new Float32Array(size), c: this.lstm ? new Float32Array(size) : undefined, tokens: new BigInt64Array(batch) };
      };
      pair = [make(), make()];
      this.pool.set(batch, pair);
    }
    return pair[0] === this.buffers ? pair[1] : pair[0];
  }
}
