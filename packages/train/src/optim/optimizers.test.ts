import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../model/test-helpers/backends.js';
import { clipGradNorm } from '../trainer/gradients.js';
import { Adam } from './adam.js';
import { createOptimizer } from './create.js';
import { OptimizerError } from './optimizer.js';
import { Sgd } from './sgd.js';

beforeAll(() => useBackend('cpu'));

const GRADS = [
  [0.5, -1, 2],
  [0.1, 0.3, -0.2],
  [-1, 0.0, 4],
];

function run(opt: Adam | Sgd, steps: number[][], lr: number, start = [1, 2, 3]): number[] {
  const p = tf.variable(tf.tensor1d(start));
  const params = new Map([['w', p]]);
  for (const g of steps) {
    const grad = tf.tensor1d(g);
    opt.step(params, new Map([['w', grad]]), lr);
    grad.dispose();
  }
  const out = Array.from(p.dataSync());
  p.dispose();
  return out;
}

describe('optimizers', () => {
  test('Adam follows torch.optim.Adam (bias-corrected moments) computed in float64', () => {
    const lr = 0.01;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const p = [1, 2, 3];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    GRADS.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 3; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= (lr / (1 - b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps));
      }
    });
    const got = run(new Adam(), GRADS, lr);
    got.forEach((x, i) => expect(x).toBeCloseTo(p[i], 6));
  });

  test('SGD momentum follows torch.optim.SGD (buffer = g on the first step)', () => {
    const lr = 0.1;
    const p = [1, 2, 3];
    let buf: number[] | null = null;
    for (const g of GRADS) {
      buf = buf ? buf.map((b, i) => 0.9 * b + g[i]) : [...g];
      for (let i = 0; i < 3; i++) p[i] -= lr * buf[i];
    }
    run(new Sgd({ momentum: 0.9 }), GRADS, lr).forEach((x, i) => expect(x).toBeCloseTo(p[i], 6));
  });

  test('AdamW (weightDecay) follows torch.optim.AdamW in float64: p·(1 − lr·λ) then the Adam step; a bias is not decayed', () => {
    const [lr, wd, b1, b2, eps] = [0.01, 0.1, 0.9, 0.999, 1e-8];
    const p = [1, 2, 3];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    GRADS.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 3; i++) {
        p[i] *= 1 - lr * wd;
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= (lr / (1 - b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps));
      }
    });
    run(new Adam({ weightDecay: wd }), GRADS, lr).forEach((x, i) => expect(x).toBeCloseTo(p[i], 6));
    // The same steps on a parameter named as a bias are Adam's: no decay.
    const bias = tf.variable(tf.tensor1d([1, 2, 3]));
    const adam = new Adam({ weightDecay: wd });
    for (const g of GRADS) tf.tidy(() => adam.step(new Map([['rnn.bias_hh_l0', bias]]), new Map([['rnn.bias_hh_l0', tf.tensor1d(g)]]), lr));
    expect(Array.from(bias.dataSync())).toEqual(run(new Adam(), GRADS, lr));
    bias.dispose();
    adam.dispose();
  });

  test('SGD with weightDecay decays decoupled (SGDW): p·(1 − lr·λ) − lr·buffer', () => {
    const [lr, wd] = [0.1, 0.2];
    const p = [1, 2, 3];
    let buf: number[] | null = null;
    for (const g of GRADS) {
      buf = buf ? buf.map((b, i) => 0.9 * b + g[i]) : [...g];
      for (let i = 0; i < 3; i++) p[i] = p[i] * (1 - lr * wd) - lr * buf[i];
    }
    run(new Sgd({ momentum: 0.9, weightDecay: wd }), GRADS, lr).forEach((x, i) => expect(x).toBeCloseTo(p[i], 6));
  });

  test('SGD with weightDecay leaves a bias undecayed: its steps are plain SGD momentum', () => {
    const [lr, wd] = [0.1, 0.2];
    const p = [1, 2, 3];
    let buf: number[] | null = null;
    for (const g of GRADS) {
      buf = buf ? buf.map((b, i) => 0.9 * b + g[i]) : [...g];
      for (let i = 0; i < 3; i++) p[i] -= lr * buf[i];
    }
    const bias = tf.variable(tf.tensor1d([1, 2, 3]));
    const sgd = new Sgd({ momentum: 0.9, weightDecay: wd });
    for (const g of GRADS) tf.tidy(() => sgd.step(new Map([['decoder.bias', bias]]), new Map([['decoder.bias', tf.tensor1d(g)]]), lr));
    Array.from(bias.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(p[i], 6));
    bias.dispose();
    sgd.dispose();
  });

  test.each([-0.1, NaN, Infinity])('weightDecay %p is refused by both optimizers, naming it', (wd) => {
    for (const make of [() => new Adam({ weightDecay: wd }), () => new Sgd({ weightDecay: wd }), () => createOptimizer('adam', { weightDecay: wd })]) {
      expect(make).toThrow(OptimizerError);
      expect(make).toThrow(`weightDecay is ${wd}, expected a finite number ≥ 0`);
    }
    // 0, the default, is accepted: the steps are plain Adam's.
    expect(run(new Adam({ weightDecay: 0 }), GRADS, 0.01)).toEqual(run(new Adam(), GRADS, 0.01));
  });

  test.each(['adam', 'sgd'] as const)('%s state saved after 2 steps and restored continues exactly', (name) => {
    const straight = createOptimizer(name);
    const expected = run(straight as Adam, GRADS, 0.05);
    const first = createOptimizer(name);
    const midway = run(first as Adam, GRADS.slice(0, 2), 0.05);
    const restored = createOptimizer(name);
    restored.setState(first.getState());
    expect(run(restored as Adam, GRADS.slice(2), 0.05, midway)).toEqual(expected);
    expect(first.getState().slots.size).toBe(name === 'adam' ? 2 : 1);
    [straight, first, restored].forEach((o) => o.dispose());
  });

  test('state is named as torch state_dict keys: exp_avg / exp_avg_sq / momentum_buffer per parameter, with the scalars', () => {
    const adam = new Adam({ beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    run(adam, GRADS.slice(0, 1), 0.1);
    const a = adam.getState();
    expect([...a.slots.keys()].sort()).toEqual(['exp_avg.w', 'exp_avg_sq.w']);
    expect(a.scalars).toEqual({ step: 1, beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    const sgd = new Sgd({ momentum: 0.5 });
    run(sgd, GRADS.slice(0, 1), 0.1);
    const s = sgd.getState();
    expect([...s.slots.keys()]).toEqual(['momentum_buffer.w']);
    expect(s.scalars).toEqual({ momentum: 0.5 });
    [adam, sgd].forEach((o) => o.dispose());
  });

  test.each(['adam', 'sgd'] as const)('%s: restored scalars are used, absent ones keep the constructor values', (name) => {
    const fresh = (): Adam | Sgd => (name === 'adam' ? new Adam({ beta1: 0.8, beta2: 0.99, eps: 1e-6 }) : new Sgd({ momentum: 0.5 }));
    const expected = run(fresh(), GRADS, 0.05);
    const absent = fresh();
    absent.setState({ name, slots: new Map(), scalars: {} });
    expect(run(absent, GRADS, 0.05)).toEqual(expected);
    const restored = name === 'adam' ? new Adam() : new Sgd();
    restored.setState({ name, slots: new Map(), scalars: name === 'adam' ? { step: 0, beta1: 0.8, beta2: 0.99, eps: 1e-6 } : { momentum: 0.5 } });
    expect(run(restored, GRADS, 0.05)).toEqual(expected);
  });

  test.each(['adam', 'sgd'] as const)('%s: a parameter without a gradient is left as it is', (name) => {
    const opt = name === 'adam' ? new Adam() : new Sgd();
    const w = tf.variable(tf.tensor1d([1, 2]));
    const frozen = tf.variable(tf.tensor1d([5, 6]));
    const g = tf.tensor1d([1, 1]);
    opt.step(new Map([['w', w], ['frozen', frozen]]), new Map([['w', g]]), 0.1);
    expect(Array.from(frozen.dataSync())).toEqual([5, 6]);
    expect(Array.from(w.dataSync())).not.toEqual([1, 2]);
    [w, frozen, g].forEach((t) => t.dispose());
    opt.dispose();
  });

  test.each(['adam', 'sgd'] as const)('%s: dispose frees every slot tensor', (name) => {
    const opt = name === 'adam' ? new Adam() : new Sgd();
    run(opt, GRADS, 0.1);
    const held = tf.memory().numTensors;
    opt.dispose();
    expect(held - tf.memory().numTensors).toBe(name === 'adam' ? 2 : 1); // exp_avg.w and exp_avg_sq.w, or momentum_buffer.w
  });

  test('sgd refuses adam state and slots that do not fit the model', () => {
    const sgd = new Sgd();
    expect(() => sgd.setState({ name: 'adam', slots: new Map(), scalars: {} })).toThrow('optimizer state is for adam, this optimizer is sgd');
    sgd.setState({ name: 'sgd', slots: new Map([['momentum_buffer.w', { shape: [2], data: new Float32Array(2) }]]), scalars: {} });
    const p = tf.variable(tf.zeros([3]));
    expect(() => sgd.checkAgainst(new Map([['w', p]]))).toThrow('optimizer slot momentum_buffer.w has shape [2], the parameter has [3]');
    p.dispose();
    sgd.dispose();
  });

  test('restoring state from another optimizer or model is refused', () => {
    const adam = new Adam();
    expect(() => adam.setState({ name: 'sgd', slots: new Map(), scalars: {} })).toThrow('optimizer state is for sgd, this optimizer is adam');
    adam.setState({ name: 'adam', slots: new Map([['exp_avg.w', { shape: [2], data: new Float32Array(2) }]]), scalars: { step: 1 } });
    const p = tf.variable(tf.zeros([3]));
    expect(() => adam.checkAgainst(new Map([['w', p]]))).toThrow('optimizer slot exp_avg.w has shape [2], the parameter has [3]');
    p.dispose();
    adam.dispose();
  });

  test('clipGradNorm scales the global norm down to the maximum and leaves small gradients alone', () => {
    const grads = new Map([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor1d([0, 4])],
    ]);
    expect(clipGradNorm(grads, 10)).toBeCloseTo(5, 6);
    expect(Array.from(grads.get('a')!.dataSync())).toEqual([3, 0]);
    expect(clipGradNorm(grads, 1)).toBeCloseTo(5, 6);
    expect(grads.get('a')!.dataSync()[0]).toBeCloseTo(0.6, 5);
    expect(grads.get('b')!.dataSync()[1]).toBeCloseTo(0.8, 5);
    tf.dispose([...grads.values()]);
  });
});
