// Independent float64 reference of the lesson's models in plain loops, straight from PyTorch's
// documented equations (nn.RNN tanh, nn.GRU, nn.LSTM, nn.Embedding, nn.Linear, log_softmax + NLL).
// Shares no code with the tfjs model: it is what the model is tested against.
import type { Arch, ModelConfig } from '../config.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Parameters by PyTorch name; float64 so finite differences are not rounded to float32. */
export type ReferenceWeights = ReadonlyMap<string, { data: Float32Array | Float64Array }>;

export interface ReferenceState {
  /** [layer][batch][hidden] */
  h: number[][][];
  c?: number[][][];
}

/** The states each cell carries, written out here rather than read from the contract's cell shapes, so that tests check them. */
export const REFERENCE_STATES: Readonly<Record<Arch, readonly ('h' | 'c')[]>> = { rnn: ['h'], gru: ['h'], lstm: ['h', 'c'] };

export function referenceZeroState(config: ModelConfig, batch: number): ReferenceState {
  const zeros = () => Array.from({ length: config.numLayers }, () => Array.from({ length: batch }, () => new Array<number>(config.hiddenSize).fill(0)));
  return Object.fromEntries(REFERENCE_STATES[config.arch].map((s) => [s, zeros()])) as unknown as ReferenceState;
}

/**
 * One layer's step of each cell for one stream, from gi = x·W_ihᵀ + b_ih and gh = h·W_hhᵀ + b_hh
 * (gate blocks of H values each, PyTorch's order) and the entering h (and c).
 */
type ReferenceLayer = (gi: number[], gh: number[], hPrev: number[], cPrev: number[] | undefined) => { h: number[]; c?: number[] };

const REFERENCE_LAYERS: Record<Arch, ReferenceLayer> = {
  rnn: (gi, gh) => ({ h: gi.map((v, i) => Math.tanh(v + gh[i])) }),
  gru: (gi, gh, hPrev) => {
    const H = hPrev.length;
    const next = new Array<number>(H);
    for (let i = 0; i < H; i++) {
      const r = sigmoid(gi[i] + gh[i]);
      const z = sigmoid(gi[H + i] + gh[H + i]);
      const n = Math.tanh(gi[2 * H + i] + r * gh[2 * H + i]);
      next[i] = (1 - z) * n + z * hPrev[i];
    }
    return { h: next };
  },
  lstm: (gi, gh, hPrev, cPrev) => {
    const H = hPrev.length;
    const g = gi.map((v, i) => v + gh[i]);
    const hNext = new Array<number>(H);
    const cNext = new Array<number>(H);
    for (let i = 0; i < H; i++) {
      const ig = sigmoid(g[i]);
      const fg = sigmoid(g[H + i]);
      const gg = Math.tanh(g[2 * H + i]);
      const og = sigmoid(g[3 * H + i]);
      cNext[i] = fg * cPrev![i] + ig * gg;
      hNext[i] = og * Math.tanh(cNext[i]);
    }
    return { h: hNext, c: cNext };
  },
};

/** y[i] = Σ_j W[i, j] x[j] + b[i] for a row-major W with `cols` columns. */
function affine(w: ArrayLike<number>, b: ArrayLike<number>, x: readonly number[], rows: number): number[] {
  const cols = x.length;
  const y = new Array<number>(rows);
  for (let i = 0; i < rows; i++) {
    let s = b[i];
    for (let j = 0; j < cols; j++) s += w[i * cols + j] * x[j];
    y[i] = s;
  }
  return y;
}

/**
 * Logits [seq][batch][vocab] and the final state for tokens [seq][batch], in float64.
 */
export function referenceForward(config: ModelConfig, weights: ReferenceWeights, tokens: number[][], state: ReferenceState): { logits: number[][][]; state: ReferenceState } {
  const H = config.hiddenSize;
  const W = (name: string) => weights.get(name)!.data;
  const emb = W('encoder.weight');
  const E = config.embeddingDim;
  const h = state.h.map((l) => l.map((v) => [...v]));
  const c = state.c?.map((l) => l.map((v) => [...v]));
  const logits: number[][][] = [];
  for (const row of tokens) {
    const stepLogits: number[][] = [];
    row.forEach((token, b) => {
      let x = Array.from(emb.subarray(token * E, token * E + E));
      for (let k = 0; k < config.numLayers; k++) {
        const wih = W(`rnn.weight_ih_l${k}`);
        const whh = W(`rnn.weight_hh_l${k}`);
        const bih = W(`rnn.bias_ih_l${k}`);
        const bhh = W(`rnn.bias_hh_l${k}`);
        const hPrev = h[k][b];
        const layer = REFERENCE_LAYERS[config.arch](affine(wih, bih, x, wih.length / x.length), affine(whh, bhh, hPrev, whh.length / H), hPrev, c?.[k][b]);
        h[k][b] = layer.h;
        if (layer.c) c![k][b] = layer.c;
        x = h[k][b];
      }
      stepLogits.push(affine(W('decoder.weight'), W('decoder.bias'), x, config.vocabSize));
    });
    logits.push(stepLogits);
  }
  return { logits, state: c ? { h, c } : { h } };
}

/** Mean over all targets of −log softmax(logits)[target]. */
export function referenceLoss(logits: number[][][], targets: number[][]): number {
  let sum = 0;
  let count = 0;
  logits.forEach((row, t) =>
    row.forEach((l, b) => {
      const max = Math.max(...l);
      const lse = max + Math.log(l.reduce((s, v) => s + Math.exp(v - max), 0));
      sum += lse - l[targets[t][b]];
      count++;
    }),
  );
  return sum / count;
}
