// An independent forward pass for tests: plain loops in float64 over PyTorch's equations and
// PyTorch's weight layout (gate rows r,z,n / i,f,g,o), sharing no code with the graph builders.
import type { Arch } from '@charrnn/contract';
import type { ExportSource } from '../export-source.js';

export interface ReferenceResult {
  logits: Float64Array; // [seq, batch, vocab]
  h: Float64Array; // [layers, batch, hidden]
  c?: Float64Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function tensor(source: ExportSource, name: string): Float32Array {
  const t = source.weights.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t.data;
}

/**
 * One hidden unit of each cell: `gi(k)` and `gh(k)` are gate block k of x·W_ihᵀ + b_ih and
 * h·W_hhᵀ + b_hh at this unit, `h` and `c` its entering states; returns the new ones (`c`
 * only for a cell that carries it).
 */
type ReferenceUnit = (gi: (gate: number) => number, gh: (gate: number) => number, h: number, c: number) => { h: number; c?: number };

const REFERENCE_CELLS: Record<Arch, ReferenceUnit> = {
  rnn: (gi, gh) => ({ h: Math.tanh(gi(0) + gh(0)) }),
  gru: (gi, gh, hPrev) => {
    const r = sigmoid(gi(0) + gh(0));
    const z = sigmoid(gi(1) + gh(1));
    const n = Math.tanh(gi(2) + r * gh(2));
    return { h: (1 - z) * n + z * hPrev };
  },
  lstm: (gi, gh, _h, cPrev) => {
    const i = sigmoid(gi(0) + gh(0));
    const f = sigmoid(gi(1) + gh(1));
    const g = Math.tanh(gi(2) + gh(2));
    const o = sigmoid(gi(3) + gh(3));
    const c = f * cPrev + i * g;
    return { h: o * Math.tanh(c), c };
  },
};

/** Row `row` of a [rows, cols] matrix times vector `v`, plus a bias entry. */
function affine(w: Float32Array, cols: number, row: number, v: ArrayLike<number>, bias: Float32Array): number {
  let sum = bias[row];
  for (let j = 0; j < cols; j++) sum += w[row * cols + j] * v[j];
  return sum;
}

/** tokens: [seq, batch] time-major ids; starts from `state` (zeros when omitted). */
export function referenceForward(
  source: ExportSource,
  tokens: Int32Array,
  batch: number,
  state?: { h: ArrayLike<number>; c?: ArrayLike<number> },
): ReferenceResult {
  const { arch, vocabSize: V, embeddingDim: E, hiddenSize: H, numLayers: L } = source.config;
  const seq = tokens.length / batch;
  const h = Float64Array.from(state?.h ?? new Float64Array(L * batch * H));
  const c = Float64Array.from(state?.c ?? new Float64Array(L * batch * H));
  const logits = new Float64Array(seq * batch * V);
  let carriesC = false;
  const enc = tensor(source, 'encoder.weight');
  for (let t = 0; t < seq; t++) {
    for (let b = 0; b < batch; b++) {
      const id = tokens[t * batch + b];
      let x: Float64Array = Float64Array.from(enc.subarray(id * E, (id + 1) * E));
      for (let k = 0; k < L; k++) {
        const inSize = k === 0 ? E : H;
        const wih = tensor(source, `rnn.weight_ih_l${k}`);
        const whh = tensor(source, `rnn.weight_hh_l${k}`);
        const bih = tensor(source, `rnn.bias_ih_l${k}`);
        const bhh = tensor(source, `rnn.bias_hh_l${k}`);
        const off = (k * batch + b) * H;
        const hPrev = h.slice(off, off + H);
        const cPrev = c.slice(off, off + H);
        const next = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          const gi = (gate: number): number => affine(wih, inSize, gate * H + j, x, bih);
          const gh = (gate: number): number => affine(whh, H, gate * H + j, hPrev, bhh);
          const unit = REFERENCE_CELLS[arch](gi, gh, hPrev[j], cPrev[j]);
          next[j] = unit.h;
          if (unit.c !== undefined) {
            c[off + j] = unit.c;
            carriesC = true;
          }
        }
        h.set(next, off);
        x = next;
      }
      const decW = tensor(source, 'decoder.weight');
      const decB = tensor(source, 'decoder.bias');
      for (let v = 0; v < V; v++) logits[(t * batch + b) * V + v] = affine(decW, H, v, x, decB);
    }
  }
  return { logits, h, c: carriesC ? c : undefined };
}
