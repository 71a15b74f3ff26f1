/**
 * Independent references computed straight from an onnxruntime-node session (no infer-web code
 * in the loop): greedy continuation and next-token logits.
 */
import * as ort from 'onnxruntime-node';
import { TEST_VOCAB } from './models.js';

export interface DirectModel {
  session: ort.InferenceSession;
  arch: 'rnn' | 'gru' | 'lstm';
  layers: number;
  hidden: number;
}

export async function openDirect(bytes: Uint8Array, arch: DirectModel['arch'], layers = 2, hidden = 12): Promise<DirectModel> {
  return { session: await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] }), arch, layers, hidden };
}

export function ids(text: string): number[] {
  return [...text].map((ch) => {
    const id = TEST_VOCAB.indexOf(ch);
    return id < 0 ? 0 : id;
  });
}

/** Feeds `tokens` one at a time and returns the last logits and state. */
async function feed(model: DirectModel, tokens: number[], h: Float32Array, c: Float32Array): Promise<{ logits: Float32Array; h: Float32Array; c: Float32Array }> {
  let logits: Float32Array = new Float32Array(0);
  for (const t of tokens) {
    const dims = [model.layers, 1, model.hidden];
    const feeds: Record<string, ort.Tensor> = {
      tokens: new ort.Tensor('int64', BigInt64Array.of(BigInt(t)), [1, 1]),
      h0: new ort.Tensor('float32', h, dims),
    };
    // The model's own signature says whether it carries a cell state.
    const withC = model.session.inputNames.includes('c0');
    if (withC) feeds.c0 = new ort.Tensor('float32', c, dims);
    const out = await model.session.run(feeds);
    logits = out.logits.data as Float32Array;
    h = out.hn.data as Float32Array;
    if (withC) c = out.cn.data as Float32Array;
  }
  return { logits, h, c };
}

export async function directNextLogits(model: DirectModel, prompt: number[]): Promise<Float32Array> {
  const zeros = new Float32Array(model.layers * model.hidden);
  return (await feed(model, prompt, zeros, zeros)).logits;
}

/** Greedy continuation: argmax of the model's logits, fed back one character per run. */
export async function directGreedy(model: DirectModel, prompt: number[], n: number): Promise<number[]> {
  const zeros = new Float32Array(model.layers * model.hidden);
  let state = await feed(model, prompt, zeros, zeros);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let v = 1; v < state.logits.length; v++) if (state.logits[v] > state.logits[best]) best = v;
    out.push(best);
    state = await feed(model, [best], state.h, state.c);
  }
  return out;
}
