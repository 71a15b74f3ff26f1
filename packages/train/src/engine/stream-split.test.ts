import { setStateColumns, stateColumns, streamRanges, tokenColumns } from './stream-split.js';

describe('stream split', () => {
  test('ranges cover the batch in near-equal parts', () => {
    expect(streamRanges(64, 2)).toEqual([[0, 32], [32, 64]]);
    expect(streamRanges(7, 3)).toEqual([[0, 2], [2, 4], [4, 7]]);
    expect(streamRanges(2, 4)).toEqual([[0, 1], [1, 2]]);
  });

  test('token and state columns pick the right streams', () => {
    // time-major [3 steps, 4 streams]: value = 10·t + b
    const ids = Int32Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4));
    expect([...tokenColumns(ids, 3, 4, 1, 3)]).toEqual([1, 2, 11, 12, 21, 22]);
    // [2 layers, 3 streams, 2 hidden]: value = 100·l + 10·b + j
    const state = Float32Array.from({ length: 12 }, (_, i) => 100 * Math.floor(i / 6) + 10 * Math.floor((i % 6) / 2) + (i % 2));
    expect([...stateColumns(state, 2, 3, 2, 2, 3)]).toEqual([20, 21, 120, 121]);
  });

  test('state columns written back land in their streams and nowhere else', () => {
    // [2 layers, 5 streams, 3 hidden]: streams 1…3 replaced by their negatives.
    const state = Float32Array.from({ length: 30 }, (_, i) => i + 1);
    const columns = stateColumns(state, 2, 5, 3, 1, 4).map((x) => -x);
    const into = Float32Array.from(state);
    setStateColumns(into, 2, 5, 3, 1, columns);
    const want = Float32Array.from(state, (x, i) => (Math.floor(i / 3) % 5 >= 1 && Math.floor(i / 3) % 5 < 4 ? -x : x));
    expect([...into]).toEqual([...want]);
    // A split into parts and back is the identity.
    const rebuilt = new Float32Array(30);
    for (const [from, to] of streamRanges(5, 3)) setStateColumns(rebuilt, 2, 5, 3, from, stateColumns(state, 2, 5, 3, from, to));
    expect([...rebuilt]).toEqual([...state]);
  });
});
