import { BatchState, type BatchRow } from './batch-state.js';

const L = 2;
const H = 3;

/** A row whose [L, 1, H] state is tag·100 + l·10 + i (c: its negative). */
function row(tag: number): BatchRow {
  const h = Float32Array.from({ length: L * H }, (_, k) => tag * 100 + Math.floor(k / H) * 10 + (k % H));
  return { slot: -1, h, c: h.map((v) => -v) };
}

/** The batch buffer as [layer][slot] → the tag stored there. */
function tags(state: BatchState, buffer: Float32Array): number[][] {
  const B = state.size;
  return Array.from({ length: L }, (_, l) => Array.from({ length: B }, (_, b) => Math.floor(Math.abs(buffer[(l * B + b) * H]) / 100)));
}

describe('BatchState', () => {
  it('gathers joining rows in [layers, batch, hidden] order and moves staying slots when the batch changes', () => {
    const state = new BatchState(L, H, true);
    const [a, b, c, d] = [row(1), row(2), row(3), row(4)];
    expect(state.setMembers([a, b, c])).toBe(true);
    expect(tags(state, state.h)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(Array.from(state.h.subarray((1 * 3 + 2) * H, (1 * 3 + 2) * H + H))).toEqual([310, 311, 312]);
    expect(Array.from(state.c!.subarray(0, H))).toEqual([-100, -101, -102]);
    expect(state.setMembers([a, b, c])).toBe(false);

    // A step changes the batch state: the staying slots must carry it, not the stale rows.
    state.update(state.h.map((v) => v + 1), state.c!.map((v) => v - 1));
    expect(state.setMembers([c, d, a])).toBe(true);
    expect(b.slot).toBe(-1);
    // b left: its row got the stepped state back.
    expect(Array.from(b.h)).toEqual([201, 202, 203, 211, 212, 213]);
    expect(Array.from(b.c!)).toEqual([-201, -202, -203, -211, -212, -213]);
    expect([c.slot, d.slot, a.slot]).toEqual([0, 1, 2]);
    expect(Array.from(state.h.subarray(0, H))).toEqual([301, 302, 303]); // c, stepped, layer 0
    expect(Array.from(state.h.subarray((1 * 3 + 1) * H, (1 * 3 + 1) * H + H))).toEqual([410, 411, 412]); // d, fresh, layer 1
    expect(Array.from(state.h.subarray((1 * 3 + 2) * H, (1 * 3 + 2) * H + H))).toEqual([111, 112, 113]); // a, stepped, layer 1
  });

  it('writes a member back when it ends mid-batch, and drops it without copying again', () => {
    const state = new BatchState(L, H, false);
    const [a, b] = [row(5), row(6)];
    state.setMembers([a, b]);
    state.update(state.h.map((v) => v * 2), undefined);
    state.writeBack(a);
    expect(a.slot).toBe(-1);
    expect(Array.from(a.h)).toEqual([1000, 1002, 1004, 1020, 1022, 1024]);
    a.h.fill(0); // whatever happens to the row now is the stream's business
    state.setMembers([b]);
    expect(Array.from(a.h)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(state.h)).toEqual([1200, 1202, 1204, 1220, 1222, 1224]);
    state.setMembers([]);
    expect(Array.from(b.h)).toEqual([1200, 1202, 1204, 1220, 1222, 1224]);
    expect(state.size).toBe(0);
  });
});
