// Each cell as a tiny graph run by onnxruntime-node, against PyTorch's equations written as
// float64 loops here (independent of the graph code): h, c and every activation the backward
// pass will reuse.
import * as ort from 'onnxruntime-node';
import { GraphBuilder, encodeModel } from '../graph-builder.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { rnnCell } from './rnn.js';

const B = 3;
const H = 5;
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s / 2 ** 32 - 0.5) * 4;
  });
}

async function run(g: GraphBuilder, outputs: string[], feeds: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
  for (const name of outputs) g.output(name, 'float32', [B, H]);
  const model = encodeModel(g.build(), { opset: 17, irVersion: 8, metadata: {}, producerName: 'test', producerVersion: '0' });
  const session = await ort.InferenceSession.create(model);
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', data, [B, data.length / B]);
  const out = await session.run(tensors);
  return Object.fromEntries(outputs.map((name) => [name, out[name].data as Float32Array]));
}

function expectClose(got: Float32Array, want: (b: number, j: number) => number): void {
  let worst = 0;
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) worst = Math.max(worst, Math.abs(got[b * H + j] - want(b, j)));
  expect(worst).toBeLessThan(1e-6);
}

function inputs(g: GraphBuilder, G: number, withC = false) {
  return {
    xp: g.input('xp', 'float32', [B, G * H]),
    hp: g.input('hp', 'float32', [B, G * H]),
    h: g.input('h', 'float32', [B, H]),
    c: withC ? g.input('c', 'float32', [B, H]) : '',
  };
}

describe('recurrent cells against PyTorch equations', () => {
  it('rnn: h = tanh(xp + hp)', async () => {
    const g = new GraphBuilder('rnn');
    const v = inputs(g, 1);
    const step = rnnCell(g, v.xp, v.hp, 'cell');
    const xp = values(B * H, 1);
    const hp = values(B * H, 2);
    const out = await run(g, [step.h], { xp, hp, h: values(B * H, 3) });
    expectClose(out[step.h], (b, j) => Math.tanh(xp[b * H + j] + hp[b * H + j]));
  });

  it('gru: r, z, n, h_n and h (gate blocks r, z, n; reset after the matmul)', async () => {
    const g = new GraphBuilder('gru');
    const v = inputs(g, 3);
    const step = gruCell(g, v.xp, v.hp, v.h, H, 'cell');
    const xp = values(B * 3 * H, 4);
    const hp = values(B * 3 * H, 5);
    const h = values(B * H, 6);
    const out = await run(g, [step.h, step.r, step.z, step.n, step.hn], { xp, hp, h });
    const at = (a: Float32Array, b: number, gate: number, j: number) => a[b * 3 * H + gate * H + j];
    const r = (b: number, j: number) => sigmoid(at(xp, b, 0, j) + at(hp, b, 0, j));
    const z = (b: number, j: number) => sigmoid(at(xp, b, 1, j) + at(hp, b, 1, j));
    const n = (b: number, j: number) => Math.tanh(at(xp, b, 2, j) + r(b, j) * at(hp, b, 2, j));
    expectClose(out[step.r], r);
    expectClose(out[step.z], z);
    expectClose(out[step.n], n);
    expectClose(out[step.hn], (b, j) => at(hp, b, 2, j));
    expectClose(out[step.h], (b, j) => (1 - z(b, j)) * n(b, j) + z(b, j) * h[b * H + j]);
  });

  it('lstm: i, f, g, o, c and h (gate blocks i, f, g, o)', async () => {
    const g = new GraphBuilder('lstm');
    const v = inputs(g, 4, true);
    const step = lstmCell(g, v.xp, v.hp, v.c, H, 'cell');
    const xp = values(B * 4 * H, 7);
    const hp = values(B * 4 * H, 8);
    const c = values(B * H, 9);
    const out = await run(g, [step.h, step.c, step.i, step.f, step.g, step.o, step.tanhC], { xp, hp, h: values(B * H, 10), c });
    const pre = (b: number, gate: number, j: number) => xp[b * 4 * H + gate * H + j] + hp[b * 4 * H + gate * H + j];
    const cNew = (b: number, j: number) => sigmoid(pre(b, 1, j)) * c[b * H + j] + sigmoid(pre(b, 0, j)) * Math.tanh(pre(b, 2, j));
    expectClose(out[step.i], (b, j) => sigmoid(pre(b, 0, j)));
    expectClose(out[step.f], (b, j) => sigmoid(pre(b, 1, j)));
    expectClose(out[step.g], (b, j) => Math.tanh(pre(b, 2, j)));
    expectClose(out[step.o], (b, j) => sigmoid(pre(b, 3, j)));
    expectClose(out[step.c], cNew);
    expectClose(out[step.tanhC], (b, j) => Math.tanh(cNew(b, j)));
    expectClose(out[step.h], (b, j) => sigmoid(pre(b, 3, j)) * Math.tanh(cNew(b, j)));
  });
});
