import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../model/test-helpers/backends.js';
import { block, gatherRows, scatterAddRows } from './heap.js';

// The windows only ever take full-width row blocks and full-height column blocks of float32
// tensors; these check the helpers as what they say they are, on wasm (the heap copies) and cpu
// (tfjs' ops), against values written out by hand: any block, int32 as well as float32.

// x[i][j] = 10·i + j, 4 rows × 5 columns.
const ROWS = 4;
const COLS = 5;
const at = (i: number, j: number) => 10 * i + j;
const table = (dtype: 'float32' | 'int32') => tf.tensor2d(Array.from({ length: ROWS * COLS }, (_, k) => at(Math.floor(k / COLS), k % COLS)), [ROWS, COLS], dtype);

function expected(r0: number, rn: number, c0: number, cn: number): number[][] {
  return Array.from({ length: rn }, (_, i) => Array.from({ length: cn }, (_, j) => at(r0 + i, c0 + j)));
}

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test.each(['float32', 'int32'] as const)('block of a %s tensor: any rows and columns, same dtype', (dtype) => {
    const x = table(dtype);
    // [r0, rn, c0, cn]: inner block (neither first nor last row), full-width rows, full-height
    // columns, one element, the whole tensor.
    for (const [r0, rn, c0, cn] of [
      [1, 2, 1, 3],
      [0, 2, 2, 2],
      [1, 2, 0, COLS],
      [0, ROWS, 3, 2],
      [3, 1, 4, 1],
      [0, ROWS, 0, COLS],
    ]) {
      const b = block(x, r0, rn, c0, cn);
      expect([[r0, rn, c0, cn], b.dtype, b.arraySync()]).toEqual([[r0, rn, c0, cn], dtype, expected(r0, rn, c0, cn)]);
      if (b !== x) b.dispose();
    }
    x.dispose();
  });

  test.each(['float32', 'int32'] as const)('gatherRows of a %s table: rows in id order, repeats kept, same dtype', (dtype) => {
    const x = table(dtype);
    const g = gatherRows(x, Int32Array.from([2, 0, 2, 3]));
    expect(g.dtype).toBe(dtype);
    expect(g.arraySync()).toEqual([2, 0, 2, 3].map((i) => expected(i, 1, 0, COLS)[0]));
    tf.dispose([x, g]);
  });

  test('scatterAddRows adds each row into the row its id names, repeated ids summed, others 0', () => {
    const x = table('float32');
    const s = scatterAddRows(x, Int32Array.from([1, 4, 1, 0]), 6);
    const row = (i: number) => expected(i, 1, 0, COLS)[0];
    const zeros = new Array<number>(COLS).fill(0);
    expect(s.shape).toEqual([6, COLS]);
    expect(s.arraySync()).toEqual([row(3), row(0).map((v, j) => v + row(2)[j]), zeros, zeros, row(1), zeros]);
    tf.dispose([x, s]);
  });
});

// What heap.ts is for: on wasm a float32 block, gather or scatter-add is a copy on the heap, not
// one of wasm's slow Slice/Gather kernels (or a one-hot matmul); and a block that is all of x is
// x itself, no copy.
test('on wasm, float32 blocks, gathers and scatter-adds run no tfjs kernel; a whole block is x itself', async () => {
  await useBackend('wasm');
  const x = table('float32');
  const twoRows = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, COLS]);
  const ids = Int32Array.from([1, 3]);
  const ops: [string, () => tf.Tensor][] = [
    ['block', () => block(x, 1, 2, 1, 3)],
    ['full-width block', () => block(x, 1, 2, 0, COLS)],
    ['gatherRows', () => gatherRows(x, ids)],
    ['scatterAddRows', () => scatterAddRows(twoRows, ids, ROWS)],
  ];
  for (const [what, op] of ops) {
    let out: tf.Tensor | undefined;
    const { kernels } = await tf.profile(() => (out = op()));
    expect([what, kernels.map((k) => k.name)]).toEqual([what, []]);
    out!.dispose();
  }
  expect(block(x, 0, ROWS, 0, COLS)).toBe(x);
  tf.dispose([x, twoRows]);
  // cpu has no heap to copy on: the same block is tfjs' Slice kernel.
  await useBackend('cpu');
  const y = table('float32');
  const { kernels } = await tf.profile(() => block(y, 1, 2, 1, 3));
  expect(kernels.map((k) => k.name)).toEqual(['Slice']);
  expect(block(y, 0, ROWS, 0, COLS)).toBe(y);
  y.dispose();
});
