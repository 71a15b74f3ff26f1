/**
 * A RecurrentSession computed by a small deterministic function in plain JS, for testing the
 * loop, sampler and state logic without a runtime: h' = tanh(0.5·h + E[token]) per layer input,
 * logits = D·h'_top; for an LSTM a cell state c' = 0.5·c + that tanh, and h' = tanh(c'), so that
 * a loop that drops or mixes up c changes the text. Not the model math; just a recurrence whose
 * outputs depend on every input.
 */
import { hasState, type ModelInfo } from '@charrnn/contract';
import type { RecurrentOutputs, RecurrentSession } from '../core/session.js';

export interface FakeCall {
  seq: number;
  batch: number;
  tokens: number[];
}

export function fakeInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  const vocab = overrides.vocab ?? ['<unk>', 'a', 'b', 'c', 'd', 'e', ' ', '.', '\n', 'x'];
  return {
    arch: 'gru',
    vocabSize: vocab.length,
    embeddingDim: 4,
    hiddenSize: 6,
    numLayers: 2,
    vocab,
    lower: true,
    text: 'lesson',
    graph: 'fused',
    opset: 17,
    precision: 'float32',
    ...overrides,
  };
}

function weight(i: number, j: number, salt: number): number {
  return Math.sin(1.7 * i + 2.3 * j + 0.9 * salt) * 1.5;
}

export class FakeSession implements RecurrentSession {
  readonly backend = 'fake';
  readonly calls: FakeCall[] = [];
  released = false;
  constructor(readonly info: ModelInfo) {}

  /** One step for one row, pure: used both by run() and by tests as the reference. `c` for an LSTM only. */
  static step(info: ModelInfo, token: number, h: Float32Array, c?: Float32Array): { h: Float32Array; c?: Float32Array; logits: Float32Array } {
    const { numLayers: L, hiddenSize: H, vocabSize: V } = info;
    const next = new Float32Array(L * H);
    const nextC = c === undefined ? undefined : new Float32Array(L * H);
    for (let l = 0; l < L; l++) {
      for (let i = 0; i < H; i++) {
        const input = l === 0 ? weight(token, i, 1) : next[(l - 1) * H + i];
        const a = Math.tanh(0.5 * h[l * H + i] + input + weight(l, i, 2) * h[l * H + ((i + 1) % H)]);
        if (nextC === undefined) next[l * H + i] = a;
        else {
          nextC[l * H + i] = 0.5 * c![l * H + i] + a;
          next[l * H + i] = Math.tanh(nextC[l * H + i]);
        }
      }
    }
    const logits = new Float32Array(V);
    for (let v = 0; v < V; v++) {
      let sum = 0;
      for (let i = 0; i < H; i++) sum += weight(v, i, 3) * next[(L - 1) * H + i];
      logits[v] = sum;
    }
    // Keep <unk> (id 0) out of the text so that tests can compare strings character by character.
    logits[0] -= 30;
    return nextC === undefined ? { h: next, logits } : { h: next, c: nextC, logits };
  }

  async run(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array, c0?: Float32Array): Promise<RecurrentOutputs> {
    const { numLayers: L, hiddenSize: H, vocabSize: V } = this.info;
    const lstm = hasState(this.info.arch, 'c');
    const badC = lstm ? c0?.length !== L * batch * H : c0 !== undefined;
    if (tokens.length !== seq * batch || h0.length !== L * batch * H || badC) throw new Error('fake session: bad shapes');
    this.calls.push({ seq, batch, tokens: Array.from(tokens, Number) });
    const hn = new Float32Array(h0);
    const cn = lstm ? new Float32Array(c0!) : undefined;
    const logits = new Float32Array(seq * batch * V);
    const rowOf = (all: Float32Array, b: number): Float32Array => {
      const row = new Float32Array(L * H);
      for (let l = 0; l < L; l++) row.set(all.subarray((l * batch + b) * H, (l * batch + b + 1) * H), l * H);
      return row;
    };
    const writeRow = (all: Float32Array, b: number, row: Float32Array): void => {
      for (let l = 0; l < L; l++) all.set(row.subarray(l * H, (l + 1) * H), (l * batch + b) * H);
    };
    for (let b = 0; b < batch; b++) {
      let h = rowOf(hn, b);
      let c = cn === undefined ? undefined : rowOf(cn, b);
      for (let t = 0; t < seq; t++) {
        const out = FakeSession.step(this.info, Number(tokens[t * batch + b]), h, c);
        ({ h, c } = out);
        logits.set(out.logits, (t * batch + b) * V);
      }
      writeRow(hn, b, h);
      if (cn !== undefined) writeRow(cn, b, c!);
    }
    await Promise.resolve();
    return cn === undefined ? { logits, hn } : { logits, hn, cn };
  }

  async release(): Promise<void> {
    this.released = true;
  }
}

/** Greedy continuation computed straight from FakeSession.step: the independent reference. */
export function referenceGreedy(info: ModelInfo, promptIds: number[], n: number): number[] {
  let h: Float32Array = new Float32Array(info.numLayers * info.hiddenSize);
  let c: Float32Array | undefined = hasState(info.arch, 'c') ? new Float32Array(info.numLayers * info.hiddenSize) : undefined;
  let logits: Float32Array = new Float32Array(info.vocabSize);
  for (const id of promptIds) ({ h, c, logits } = FakeSession.step(info, id, h, c));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    out.push(best);
    ({ h, c, logits } = FakeSession.step(info, best, h, c));
  }
  return out;
}
