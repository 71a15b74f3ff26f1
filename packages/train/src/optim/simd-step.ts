// The data-parallel engine's gradient sum and optimizer step (flat-step.ts' math) as WebAssembly
// SIMD, four float32 lanes at a time, over a shared WebAssembly.Memory that holds the weights, the
// optimizer slots and every worker's gradients. In JavaScript (float64 per element) the sum of two
// workers' gradients and Adam's update of half the lesson GRU's 250k parameters took 0.9–1.3 ms of
// CPU a step per worker (load 8–10); these loops are float32 like the training graphs' own update.
// The module is a few hundred bytes, assembled here from the instructions below (no toolchain).
import { flatStep, type FlatStepScalars } from './flat-step.js';
import type { GraphOptimizer } from '../ort/training-graph.js';

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const bytesOf = (s: string) => [...new TextEncoder().encode(s)];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

// Instructions (WebAssembly core spec 5.4; SIMD opcodes after the 0xfd prefix).
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32Const = (v: number) => [0x41, ...uleb(v)]; // small non-negative constants only: their signed LEB is the unsigned one below 64
const I32_ADD = [0x6a];
const I32_SHL = [0x74];
const I32_GE_U = [0x4f];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const BR_IF_OUT = [0x0d, 1];
const BR_LOOP = [0x0c, 0];
const END = [0x0b];
const LOAD = [0xfd, 0x00, 0x00, 0x00]; // v128.load, alignment hint 1 byte, offset 0: any float index works
const STORE = [0xfd, 0x0b, 0x00, 0x00];
const SPLAT = [0xfd, 0x13];
const SQRT = [0xfd, 0xe3, 0x01];
const ADD = [0xfd, 0xe4, 0x01];
const SUB = [0xfd, 0xe5, 0x01];
const MUL = [0xfd, 0xe6, 0x01];
const DIV = [0xfd, 0xe7, 0x01];

/**
 * A function over `count` floats from byte addresses given as its first i32 parameters: `body`
 * gets the address of the current four lanes of each array (`at(k)`) and the splatted f32
 * parameters (`lanes[j]`) as v128 locals. The count must be a multiple of 4.
 */
function kernel(arrays: number, scalars: number, temps: number, body: (at: (k: number) => number[], lanes: number[], temp: number[]) => number[]): { type: number[]; code: number[] } {
  const count = arrays;
  const firstScalar = arrays + 1;
  const i = firstScalar + scalars;
  const end = i + 1;
  const lanes = Array.from({ length: scalars }, (_, j) => end + 1 + j);
  const temp = Array.from({ length: temps }, (_, j) => end + 1 + scalars + j);
  const at = (k: number) => [...get(k), ...get(i), ...I32_ADD];
  const expr = [
    ...get(count), ...i32Const(2), ...I32_SHL, ...set(end),
    ...lanes.flatMap((local, j) => [...get(firstScalar + j), ...SPLAT, ...set(local)]),
    ...BLOCK, ...LOOP,
    ...get(i), ...get(end), ...I32_GE_U, ...BR_IF_OUT,
    ...body(at, lanes, temp),
    ...get(i), ...i32Const(16), ...I32_ADD, ...set(i),
    ...BR_LOOP, ...END, ...END, ...END,
  ];
  const locals = vec([[2, I32], [scalars + temps, V128]].map(([n, t]) => [...uleb(n), t]));
  const params = [...Array<number>(arrays + 1).fill(I32), ...Array<number>(scalars).fill(F32)];
  return { type: [0x60, ...vec(params.map((t) => [t])), 0], code: [...uleb(locals.length + expr.length), ...locals, ...expr] };
}

// adam(p, g, m, v, count; β1, 1−β1, β2, 1−β2, stepSize, ε̂, keep, gradScale)
const ADAM = kernel(4, 8, 3, (at, [b1, a1, b2, a2, stepSize, eps, keep, scale], [g, m, v]) => [
  ...at(1), ...LOAD, ...get(scale), ...MUL, ...set(g),
  ...at(2), ...at(2), ...LOAD, ...get(b1), ...MUL, ...get(a1), ...get(g), ...MUL, ...ADD, ...tee(m), ...STORE,
  ...at(3), ...at(3), ...LOAD, ...get(b2), ...MUL, ...get(a2), ...get(g), ...MUL, ...get(g), ...MUL, ...ADD, ...tee(v), ...STORE,
  ...at(0), ...at(0), ...LOAD, ...get(keep), ...MUL, ...get(stepSize), ...get(m), ...MUL, ...get(v), ...SQRT, ...get(eps), ...ADD, ...DIV, ...SUB, ...STORE,
]);
// sgd(p, g, b, count; momentum, lr, keep, gradScale)
const SGD = kernel(3, 4, 1, (at, [momentum, lr, keep, scale], [b]) => [
  ...at(2), ...at(2), ...LOAD, ...get(momentum), ...MUL, ...at(1), ...LOAD, ...get(scale), ...MUL, ...ADD, ...tee(b), ...STORE,
  ...at(0), ...at(0), ...LOAD, ...get(keep), ...MUL, ...get(lr), ...get(b), ...MUL, ...SUB, ...STORE,
]);
// scale(dst, src, count; w): dst = w·src
const SCALE = kernel(2, 1, 0, (at, [w]) => [...at(0), ...get(w), ...at(1), ...LOAD, ...MUL, ...STORE]);
// axpy(dst, src, count; w): dst += w·src
const AXPY = kernel(2, 1, 0, (at, [w]) => [...at(0), ...at(0), ...LOAD, ...get(w), ...at(1), ...LOAD, ...MUL, ...ADD, ...STORE]);

const KERNELS = { adam: ADAM, sgd: SGD, scale: SCALE, axpy: AXPY };

/** The module's bytes: the four kernels over an imported shared memory env.memory. */
export function simdStepModule(): Uint8Array<ArrayBuffer> {
  const kernels = Object.values(KERNELS);
  const names = Object.keys(KERNELS);
  // env.memory: shared (limits flag 3), 1 to 65536 pages, so that any shared memory the engine makes fits.
  const memoryImport = [...uleb(3), ...bytesOf('env'), ...uleb(6), ...bytesOf('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(kernels.map((k) => k.type))),
    ...section(2, [...uleb(1), ...memoryImport]),
    ...section(3, vec(kernels.map((_, j) => uleb(j)))),
    ...section(7, vec(names.map((name, j) => [...uleb(name.length), ...bytesOf(name), 0x00, ...uleb(j)]))),
    ...section(10, vec(kernels.map((k) => k.code))),
  ]);
}

interface Exports {
  adam(p: number, g: number, m: number, v: number, count: number, b1: number, a1: number, b2: number, a2: number, stepSize: number, eps: number, keep: number, scale: number): void;
  sgd(p: number, g: number, b: number, count: number, momentum: number, lr: number, keep: number, scale: number): void;
  scale(dst: number, src: number, count: number, w: number): void;
  axpy(dst: number, src: number, count: number, w: number): void;
}

let compiled: WebAssembly.Module | null = null;

/**
 * The kernels over `memory` (shared, holding float32 arrays); every argument named an index is a
 * float index into it. Counts need not be multiples of 4: the last few floats take the JavaScript
 * path (flatStep's float64 arithmetic).
 */
export class SimdStep {
  private readonly exports: Exports;
  readonly floats: Float32Array;

  constructor(memory: WebAssembly.Memory) {
    compiled ??= new WebAssembly.Module(simdStepModule());
    this.exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Exports;
    this.floats = new Float32Array(memory.buffer);
  }

  /** dst[k] = Σⱼ weightⱼ · floats[srcⱼ + k] for k in [0, count), summed in the terms' order. */
  weightedSum(dst: number, terms: readonly { at: number; weight: number }[], count: number): void {
    const wide = count & ~3;
    const { floats: f } = this;
    terms.forEach(({ at, weight }, j) => {
      if (wide > 0) this.exports[j === 0 ? 'scale' : 'axpy'](4 * dst, 4 * at, wide, weight);
      for (let k = wide; k < count; k++) f[dst + k] = (j === 0 ? 0 : f[dst + k]) + weight * f[at + k];
    });
  }

  /** flatStep on `count` floats: parameters at `params`, their gradient at `grads`, the slots (Adam m, v; SGD b) at `slots`. */
  step(optimizer: GraphOptimizer, s: FlatStepScalars, params: number, grads: number, slots: readonly number[], count: number): void {
    const wide = count & ~3;
    const keep = 1 - s.lr * (s.weightDecay ?? 0);
    if (wide > 0) {
      if (optimizer.name === 'adam') {
        const c2Sqrt = s.biasCorrection2Sqrt as number;
        const stepSize = (s.lr * c2Sqrt) / (s.biasCorrection1 as number);
        const { beta1, beta2, eps } = optimizer;
        this.exports.adam(4 * params, 4 * grads, 4 * slots[0], 4 * slots[1], wide, beta1, 1 - beta1, beta2, 1 - beta2, stepSize, eps * c2Sqrt, keep, s.gradScale);
      } else {
        this.exports.sgd(4 * params, 4 * grads, 4 * slots[0], wide, optimizer.momentum, s.lr, keep, s.gradScale);
      }
    }
    if (wide < count) {
      const tail = (at: number) => this.floats.subarray(at + wide, at + count);
      flatStep(optimizer, s, tail(params), tail(grads), slots.map(tail), 0, count - wide);
    }
  }
}
