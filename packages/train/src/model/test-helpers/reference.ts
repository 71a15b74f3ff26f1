// Independent float64 reference of the lesson's models in plain loops, straight from PyTorch's
// documented equations (nn.RNN tanh, nn.GRU, nn.LSTM, nn.Embedding, nn.Linear, log_softmax + NLL).
// Shares no code with the tfjs model: it is what the model is tested against.
import type { ModelConfig } from '../config.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Parameters by PyTorch name; float64 so finite differences are not rounded to float32. */
export type ReferenceWeights = ReadonlyMap<string, { data: Float32Array | Float64Array }>;

export interface ReferenceState {
  /** [layer][batch][hidden] */
  h: number[][][];
  c?: number[][][];
}

export function referenceZeroState(config: ModelConfig, batch: number): ReferenceState {
  const zeros = () => Array.from({ length: config.numLayers }, () => Array.from({ length: batch }, () => new Array<number>(config.hiddenSize).fill(0)));
  return config.arch === 'lstm' ? { h: zeros(), c: zeros() } : { h: zeros() };
}

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
        if (config.arch === 'rnn') {
          const gi = affine(wih, bih, x, H);
          const gh = affine(whh, bhh, hPrev, H);
          h[k][b] = gi.map((v, i) => Math.tanh(v + gh[i]));
        } else if (config.arch === 'gru') {
          const gi = affine(wih, bih, x, 3 * H);
          const gh = affine(whh, bhh, hPrev, 3 * H);
          const next = new Array<number>(H);
          for (let i = 0; i < H; i++) {
            const r = sigmoid(gi[i] + gh[i]);
            const z = sigmoid(gi[H + i] + gh[H + i]);
            const n = Math.tanh(gi[2 * H + i] + r * gh[2 * H + i]);
            next[i] = (1 - z) * n + z * hPrev[i];
          }
          h[k][b] = next;
        } else {
          const gi = affine(wih, bih, x, 4 * H);
          const gh = affine(whh, bhh, hPrev, 4 * H);
          const g = gi.map((v, i) => v + gh[i]);
          const cPrev = c![k][b];
          const hNext = new Array<number>(H);
          const cNext = new Array<number>(H);
          for (let i = 0; i < H; i++) {
            const ig = sigmoid(g[i]);
            const fg = sigmoid(g[H + i]);
            const gg = Math.tanh(g[2 * H + i]);
            const og = sigmoid(g[3 * H + i]);
            cNext[i] = fg * cPrev[i] + ig * gg;
            hNext[i] = og * Math.tanh(cNext[i]);
          }
          h[k][b] = hNext;
          c![k][b] = cNext;
        }
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
