import * as tf from '@tensorflow/tfjs-core';

// Memory movement that tfjs-backend-wasm's kernels do badly, done on its heap directly: its
// Slice kernel first copies the *whole* source out of the heap (readSync), which made a [64,256]
// step of a [512,256] tensor cost as much as a 64×256×512 matmul; its Gather is slower still,
// and it has no scatter-add at all. Blocks are copied to the JS heap before a new tensor is
// allocated, because that allocation may grow (and so detach) the wasm memory. Other backends
// get the equivalent tfjs ops. No gradient is recorded, and none is needed: the fast path never
// runs under a tape.

/** What tfjs-backend-wasm's BackendWasm offers beyond KernelBackend: a view of a tensor in the wasm heap. */
interface HeapBackend {
  typedArrayFromHeap(t: tf.Tensor): Float32Array;
}

function heapOf(): HeapBackend | null {
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof b.typedArrayFromHeap === 'function' ? (b as HeapBackend) : null;
}

/** x[r0 : r0+rn, c0 : c0+cn]. */
export function block(x: tf.Tensor2D, r0: number, rn: number, c0: number, cn: number): tf.Tensor2D {
  const [m, n] = x.shape;
  if (r0 === 0 && c0 === 0 && rn === m && cn === n) return x;
  const heap = heapOf();
  if (!heap || x.dtype !== 'float32') return tf.slice(x, [r0, c0], [rn, cn]);
  const src = heap.typedArrayFromHeap(x);
  let out: Float32Array;
  if (cn === n) {
    out = src.slice(r0 * n, (r0 + rn) * n);
  } else {
    out = new Float32Array(rn * cn);
    for (let i = 0; i < rn; i++) out.set(src.subarray((r0 + i) * n + c0, (r0 + i) * n + c0 + cn), i * cn);
  }
  return tf.tensor2d(out, [rn, cn]);
}

/** table[ids[i]] for each i: [ids.length, table columns]. */
export function gatherRows(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const heap = heapOf();
  if (!heap || table.dtype !== 'float32') return tf.gather(table, tf.tensor1d(ids, 'int32'));
  const n = table.shape[1];
  const src = heap.typedArrayFromHeap(table);
  const out = new Float32Array(ids.length * n);
  for (let i = 0; i < ids.length; i++) out.set(src.subarray(ids[i] * n, ids[i] * n + n), i * n);
  return tf.tensor2d(out, [ids.length, n]);
}

/** The adjoint of gatherRows: out[ids[i]] += x[i], out has `rows` rows. */
export function scatterAddRows(x: tf.Tensor2D, ids: Int32Array, rows: number): tf.Tensor2D {
  const n = x.shape[1];
  const heap = heapOf();
  if (!heap || x.dtype !== 'float32') {
    const oneHotT = new Float32Array(rows * ids.length);
    for (let i = 0; i < ids.length; i++) oneHotT[ids[i] * ids.length + i] = 1;
    return tf.matMul(tf.tensor2d(oneHotT, [rows, ids.length]), x);
  }
  const src = heap.typedArrayFromHeap(x);
  const out = new Float32Array(rows * n);
  for (let i = 0; i < ids.length; i++) {
    const to = ids[i] * n;
    const from = i * n;
    for (let j = 0; j < n; j++) out[to + j] += src[from + j];
  }
  return tf.tensor2d(out, [rows, n]);
}
