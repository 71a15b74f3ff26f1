// The in-page trainer's worker protocol, run in Node: the service on one end of a MessageChannel
// (structured clone, as between a page and its worker), BrowserTrainer on the other,
// onnxruntime-node in place of onnxruntime-web (the engine takes either), the run store in memory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { CorpusTooSmallError } from '@charrnn/data';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import { ortEngine, type OrtApi } from '../ort/ort-engine.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from '../trainer/fit-options.js';
import { fit } from '../trainer/fit.js';
import { dropoutLevel, peakLearningRate } from '../trainer/plan.js';
import { decodeTrainingCheckpoint } from '../trainer/training-checkpoint.js';
import { prepareCorpus } from '@charrnn/data';
import { BrowserTrainer, newRunRecord, type WorkerLike } from './browser-trainer.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { memoryRunStore, type MemoryRunStore } from './test-helpers/memory-run-store.js';
import { serveTrainingWorker, type TrainingWorkerOptions, type WorkerScope } from './training-worker.js';

const api = ort as unknown as OrtApi;
const tiny: FitOptions = { ...DEFAULT_FIT_OPTIONS, embed: 8, hidden: 24, bs: 8, bptt: 8, schedule: '2@3e-3', maxBatches: 30, engine: 'ort', device: 'cpu' };
let text: string;
const ports: MessagePort[] = [];

beforeAll(async () => {
  text = (await readEmbeddedCorpus()).slice(0, 30_000);
});
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

/** A worker (the service on port1) and its page handle (on port2). */
function connect(store: MemoryRunStore, extra: Partial<TrainingWorkerOptions> = {}): BrowserTrainer {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const scope: WorkerScope = {
    postMessage: (m: FromWorker) => port1.postMessage(m),
    addEventListener: (_type, listener) => port1.on('message', (data: ToWorker) => listener({ data })),
  };
  serveTrainingWorker(scope, { loadOrt: async () => ({ ort: api, runtime: 'onnxruntime-node', provider: 'cpu' }), store, ...extra });
  const worker: WorkerLike = {
    postMessage: (m: ToWorker) => port2.postMessage(m),
    addEventListener: (_type, listener) => port2.on('message', (data: FromWorker) => listener({ data })),
  };
  return new BrowserTrainer(worker);
}

function record(trainer: BrowserTrainer) {
  const messages: FromWorker[] = [];
  for (const type of ['state', 'corpus', 'progress', 'validating', 'epoch', 'saved', 'sample', 'log', 'error'] as const) trainer.on(type, (m) => messages.push(m));
  return messages;
}

const ended = (trainer: BrowserTrainer) => trainer.next('state', (m) => ['finished', 'stopped', 'failed'].includes(m.state));

describe('training worker', () => {
  test('a run trains as fit() does on the same engine, reporting progress, epochs and saves; its checkpoint is contract 1', async () => {
    const store = memoryRunStore();
    const trainer = connect(store, { exportOnnx: () => Uint8Array.of(1, 2, 3) });
    const messages = record(trainer);
    const run = newRunRecord(tiny, 'test corpus', 'wasm');
    trainer.start(run, text);
    const end = await ended(trainer);
    expect(messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(end.state).toBe('finished');
    const progress = messages.filter((m) => m.type === 'progress');
    expect(progress).toHaveLength(60);
    expect(progress.map((m) => m.info.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const last = progress[59].info;
    expect(last).toMatchObject({ epoch: 1, epochs: 2, batch: 30, batches: 30, done: 60, total: 60 });
    expect(progress[29].info).toMatchObject({ done: 30, total: 60 });
    expect(last.charsPerSecond).toBeGreaterThan(0);
    expect(last.etaSeconds).toBe(0);
    expect(progress[30].info.etaSeconds).toBeGreaterThan(0);
    const corpusInfo = messages.find((m) => m.type === 'corpus');
    expect(corpusInfo).toMatchObject({ info: { batchesPerEpoch: 30, epochs: 2, epochBatches: [30, 30] } });
    // Each validation is announced between its epoch's last batch and its record.
    const order = messages.filter((m) => m.type === 'validating' || m.type === 'epoch' || (m.type === 'progress' && m.info.batch === 30)).map((m) => m.type);
    expect(order).toEqual(['progress', 'validating', 'epoch', 'progress', 'validating', 'epoch']);
    expect(messages.find((m) => m.type === 'validating')).toMatchObject({ characters: corpusInfo!.type === 'corpus' ? corpusInfo!.info.validChars : -1 });
    expect(messages.find((m) => m.type === 'state' && m.state === 'training')).toMatchObject({ engine: 'onnxruntime-node (cpu)' });

    // The same run through Node's fit() on the same engine: the same losses.
    const dir = await mkdtemp(path.join(tmpdir(), 'charrnn-worker-'));
    try {
      const corpus = prepareCorpus(text, { minFreq: tiny.minFreq, lower: tiny.lower, validFraction: tiny.validFraction });
      const viaFit = await fit({ corpus, options: tiny, outDir: dir, engine: ortEngine({ ort: api, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 }) });
      const epochs = messages.filter((m) => m.type === 'epoch').map((m) => m.record);
      expect(epochs.map((r) => [r.trainLoss, r.validLoss])).toEqual(viaFit.history.map((r) => [r.trainLoss, r.validLoss]));
      expect(epochs[1].validLoss).toBeLessThan(epochs[0].validLoss);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    expect(store.saves.map((s) => s.names)).toEqual([
      ['optimizer.safetensors', 'model.safetensors', 'trainer.json', 'model.onnx'],
      ['optimizer.safetensors', 'model.safetensors', 'trainer.json', 'model.onnx'],
    ]);
    const saved = await decodeTrainingCheckpoint((await store.checkpoint(run.id))!);
    expect(saved.trainer).toMatchObject({ epoch: 2, step: 60, complete: true });
    expect(saved.trainer.options).toEqual(tiny);
    expect(await store.corpus(run.id)).toBe(text);
  });

  test('a run on faithful text (a visitor\'s own file) keeps line breaks and case, and its checkpoint says so', async () => {
    const store = memoryRunStore();
    const trainer = connect(store, { exportOnnx: () => Uint8Array.of(1, 2, 3) });
    const cased = text.replace(/^./gm, (c) => c.toUpperCase());
    const run = newRunRecord({ ...tiny, corpus: 'poems.txt', text: 'faithful', maxBatches: 5, schedule: '1@1e-3' }, 'poems.txt', 'wasm');
    trainer.start(run, cased);
    expect((await ended(trainer)).state).toBe('finished');
    const saved = await decodeTrainingCheckpoint((await store.checkpoint(run.id))!);
    expect(saved.meta).toMatchObject({ text: 'faithful', lower: false });
    expect(saved.meta.vocab).toEqual(expect.arrayContaining(['\n', 'T']));
  });

  test('pause holds training until continue; stop saves mid-epoch; a new worker (a reloaded page) resumes to the same weights as an uninterrupted run', async () => {
    const uninterrupted = memoryRunStore();
    const whole = connect(uninterrupted);
    const wholeRun = newRunRecord(tiny, 'c', 'wasm');
    whole.start(wholeRun, text);
    await ended(whole);
    const expected = await decodeTrainingCheckpoint((await uninterrupted.checkpoint(wholeRun.id))!);

    const store = memoryRunStore();
    const first = connect(store);
    const messages = record(first);
    const run = { ...newRunRecord(tiny, 'c', 'wasm'), id: 'run-1' };
    first.start(run, text);
    await first.next('progress', (m) => m.info.step === 5);
    first.pause();
    await first.next('state', (m) => m.state === 'paused');
    // 'paused' comes when the loop holds: no batch runs after it.
    const held = messages.filter((m) => m.type === 'progress').length;
    expect(held).toBeGreaterThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(messages.filter((m) => m.type === 'progress').length).toBe(held);
    first.continue();
    await first.next('progress', (m) => m.info.step === 40);
    first.stop();
    expect((await ended(first)).state).toBe('stopped');
    const stopped = await decodeTrainingCheckpoint((await store.checkpoint(run.id))!);
    expect(stopped.trainer.epoch).toBe(1);
    expect(stopped.trainer.batch).toBeGreaterThanOrEqual(10);
    expect(stopped.hidden).not.toBeNull();

    const second = connect(store); // the page reloaded: a new worker, the same storage
    second.resume(run.id);
    expect((await ended(second)).state).toBe('finished');
    const resumed = await decodeTrainingCheckpoint((await store.checkpoint(run.id))!);
    expect(resumed.trainer.step).toBe(60);
    for (const [name, t] of expected.weights) expect(resumed.weights.get(name)!.data).toEqual(t.data);
    expect(resumed.trainer.history.map((r) => r.validLoss)).toEqual(expected.trainer.history.map((r) => r.validLoss));
  });

  test('saveEverySeconds saves mid-epoch (with the hidden state) so a closed page loses little', async () => {
    const store = memoryRunStore();
    const trainer = connect(store, { saveEverySeconds: 0 });
    trainer.start(newRunRecord({ ...tiny, schedule: '1@3e-3', maxBatches: 4 }, 'c', 'wasm'), text);
    await ended(trainer);
    expect(store.saves.map((s) => s.names.includes('hidden.safetensors'))).toEqual([true, true, true, false]);
  });

  test('samples come from the exported model every sampleEveryBatches batches and at the end', async () => {
    const store = memoryRunStore();
    const seen: number[] = [];
    const trainer = connect(store, {
      exportOnnx: (meta, weights) => Uint8Array.of(meta.vocab.length, weights.size),
      sample: async (model, step) => {
        seen.push(step);
        return `model of ${model[0]} tokens, ${model[1]} tensors`;
      },
      sampleEveryBatches: 10,
    });
    const messages = record(trainer);
    trainer.start(newRunRecord({ ...tiny, schedule: '1@3e-3', maxBatches: 25 }, 'c', 'wasm'), text);
    await ended(trainer);
    expect(seen).toEqual([10, 20, 25]);
    const samples = messages.filter((m) => m.type === 'sample');
    expect(samples[0]).toMatchObject({ step: 10, text: expect.stringMatching(/^model of \d+ tokens, 7 tensors$/) });
    // The closing sample too is of the trained model (the loop has disposed its engine by then).
    expect(samples.at(-1)).toMatchObject({ step: 25, text: expect.stringMatching(/^model of \d+ tokens, 7 tensors$/) });
  });

  test('a corpus too small for the batch size fails with CorpusTooSmallError naming what works, and stores nothing', async () => {
    const store = memoryRunStore();
    const trainer = connect(store);
    const error = trainer.next('error');
    trainer.start(newRunRecord({ ...tiny, bs: 64, bptt: 64 }, 'small.txt', 'wasm'), text.slice(0, 3000));
    expect(await error).toMatchObject({ name: CorpusTooSmallError.name, message: expect.stringMatching(/corpus too small: the training split has \d+ tokens, too few for one batch at batch size 64, BPTT 64.*the largest that work/) });
    expect((await trainer.next('state')).state).toBe('failed');
    expect(await store.list()).toEqual([]);
  });

  test('a second start while training is refused; resume of an unknown run names it', async () => {
    const store = memoryRunStore();
    const trainer = connect(store);
    trainer.start(newRunRecord(tiny, 'c', 'wasm'), text);
    await trainer.next('progress');
    const busy = trainer.next('error');
    trainer.start(newRunRecord(tiny, 'c', 'wasm'), text);
    expect(await busy).toMatchObject({ name: 'TrainerBusyError', message: expect.stringMatching(/is training: stop it before starting another/) });
    trainer.stop();
    await ended(trainer);
    const unknown = trainer.next('error');
    trainer.resume('nope');
    expect(await unknown).toMatchObject({ name: 'RunStoreError', message: 'no stored run "nope"' });
  });

  describe('a time budget (options.minutes)', () => {
    // The model is given, as in train:fit's test, so that the run is small; the rest is planned.
    const given: Partial<FitOptions> = { hidden: 16, embed: 8, layers: 1, bs: 8, bptt: 16 };
    const budgetRun = (minutes: number) => newRunRecord({ ...DEFAULT_FIT_OPTIONS, text: 'faithful', lower: false, minutes, engine: 'ort', device: 'cpu' }, 'budget.txt', 'wasm');

    /**
     * A clock that moves with the work done, not with the machine's speed: each onnxruntime session
     * run (a training step, a batch of a validation) takes 100 ms of it, and each speed measurement
     * the seconds it measures for, at 23,000 chars/s whatever the model. The plan, the schedule's
     * progress and the deadline are then the same on a busy machine and on a fast one.
     */
    function workClock() {
      let ms = 0;
      const measurements: number[] = [];
      const timed: OrtApi = {
        Tensor: api.Tensor,
        InferenceSession: {
          async create(model, sessionOptions) {
            const session = await api.InferenceSession.create(model, sessionOptions);
            return new Proxy(session, {
              get: (target, key) => (key === 'run' ? (...args: Parameters<typeof target.run>) => ((ms += 100), target.run(...args)) : Reflect.get(target, key)),
            });
          },
        },
      };
      const worker: Partial<TrainingWorkerOptions> = {
        loadOrt: async () => ({ ort: timed, runtime: 'onnxruntime-node', provider: 'cpu' }),
        now: () => ms,
        measureSpeed: async (_engine, _model, seconds) => {
          measurements.push(seconds);
          ms += seconds * 1000;
          return { charsPerSecond: 23_000, firstStepSeconds: 0.2, steps: 10, evalCharsPerSecond: 69_000 };
        },
      };
      return { worker, measurements };
    }

    test('is planned before it trains (the plan stored with the run), counts its progress in seconds of the budget, ends within it, and resumes to the same plan after a stop', async () => {
      const store = memoryRunStore();
      const clock = workClock();
      const trainer = connect(store, clock.worker);
      const messages = record(trainer);
      const plans: FromWorker[] = [];
      trainer.on('plan', (m) => plans.push(m));
      const run = budgetRun(0.5);
      // Stopped at its first batch (an event, not a time), then resumed.
      const first = Promise.race([trainer.next('progress'), ended(trainer)]);
      trainer.start(run, text, given);
      const firstMessage = await first;
      expect(messages.filter((m) => m.type === 'error')).toEqual([]);
      expect(firstMessage.type).toBe('progress');
      trainer.stop();
      expect((await ended(trainer)).state).toBe('stopped');
      expect(plans).toHaveLength(1);
      const plan = plans[0] as Extract<FromWorker, { type: 'plan' }>;
      expect(plan.table[0]).toMatch(/^plan for 0\.5 min: .* parameters, ~23k chars\/s, .*\(measured 23k chars\/s for gru 1×16 on onnxruntime-node \(cpu\)\)$/);
      expect(plan.table).toContainEqual(expect.stringMatching(/^ {2}hidden +16 +given$/));
      const stored = await store.get(run.id);
      expect(stored).toEqual({ ...run, options: plan.options, plan: plan.table });
      const stopped = await decodeTrainingCheckpoint((await store.checkpoint(run.id))!);
      expect(stopped.trainer).toMatchObject({ complete: false, totalEpochs: null, options: plan.options });

      // The rules, from what the plan had: the budget less the measurements' seconds at 23,000 chars/s over the training text, and the model's parameters.
      const corpusInfo = messages.find((m) => m.type === 'corpus') as Extract<FromWorker, { type: 'corpus' }>;
      expect(corpusInfo.info.budgetSeconds).toBe(30);
      const planning = clock.measurements.reduce((a, b) => a + b, 0);
      const passes = (23_000 * (30 - planning)) / corpusInfo.info.trainChars;
      const parameters = [...stopped.weights.values()].reduce((n, t) => n + t.data.length, 0);
      const peak = peakLearningRate(passes, parameters);
      expect(passes).toBeGreaterThan(16); // where the rate falls with the passes: a wrong count of either shows
      expect(plan.options).toMatchObject({ ...given, minutes: 0.5, optimizer: 'adam', clip: 2, outputDropout: dropoutLevel(passes), embedDropout: dropoutLevel(passes) });
      const rate = /^cosine@([0-9.e-]+),warmup=0\.03,final=0\.05$/.exec(plan.options.schedule);
      expect(rate).not.toBeNull();
      expect(Number(rate![1])).toBeCloseTo(peak, 12);
      const scheduleRow = plan.table.find((line) => line.startsWith('  schedule '));
      expect(scheduleRow).toContain(plan.options.schedule);
      expect(scheduleRow).toContain(`Adam at ${rate![1]},`);
      // The clock starts after the planning it spent.
      expect(stopped.trainer.elapsed).toBeGreaterThan(planning);

      const beforeResume = messages.length;
      trainer.resume(run.id);
      const end = await ended(trainer);
      expect(messages.filter((m) => m.type === 'error')).toEqual([]);
      expect(end.state).toBe('finished');
      expect(plans).toHaveLength(1); // a resumed run is not planned again
      const done = await decodeTrainingCheckpoint((await store.checkpoint(run.id))!);
      expect(done.trainer).toMatchObject({ complete: true, totalEpochs: null, options: plan.options });
      // Within the budget, and not short of it by more than the loop's margin: a step, a save's half second and a fifth of a validation.
      const { elapsed, validationSeconds } = done.trainer;
      expect(elapsed!).toBeLessThanOrEqual(30);
      expect(elapsed!).toBeGreaterThanOrEqual(30 - 0.1 - 0.5 - 0.2 * validationSeconds! - 1e-9);
      expect(done.trainer.history.length).toBeGreaterThanOrEqual(1);
      expect(done.trainer.history.at(-1)!.validLoss).toBeLessThan(Math.log(done.meta.vocab.length)); // better than an untrained model
      const progress = messages.flatMap((m) => (m.type === 'progress' ? [m.info] : []));
      for (const info of progress) expect(info).toMatchObject({ budgetSeconds: 30, total: 30, epochs: Infinity, done: info.elapsed });
      // The resumed half's clock starts where the stopped half's ended (the loop reports whole seconds).
      const resumed = messages.slice(beforeResume).flatMap((m) => (m.type === 'progress' ? [m.info] : []));
      expect(resumed.length).toBeGreaterThan(0);
      expect(resumed[0].elapsed).toBe(stopped.trainer.elapsed);
      for (const info of resumed) expect(info.elapsed!).toBeGreaterThanOrEqual(Math.floor(stopped.trainer.elapsed!));
    }, 120_000);

    test.each([
      [0, /^a budget of 0 minutes is not a training budget: give a number of minutes above 0 and at most 10080 \(a week\)/],
      [-1, /^a budget of -1 minutes is not a training budget/],
      [20_000, /^a budget of 20000 minutes is not a training budget/],
    ])('%p minutes is refused naming the limits, and nothing is stored', async (minutes, message) => {
      const store = memoryRunStore();
      const trainer = connect(store);
      const error = trainer.next('error');
      trainer.start(budgetRun(minutes), text);
      expect(await error).toMatchObject({ name: 'PlanError', message: expect.stringMatching(message) });
      expect((await trainer.next('state')).state).toBe('failed');
      expect(await store.list()).toEqual([]);
    });

    test('a corpus too small for any recipe is refused naming what it needs, and nothing is stored', async () => {
      const store = memoryRunStore();
      const trainer = connect(store);
      const error = trainer.next('error');
      trainer.start(budgetRun(1), text.slice(0, 200));
      expect(await error).toMatchObject({ name: 'PlanError', message: expect.stringMatching(/it has \d+ training and \d+ validation characters; the smallest recipe \(batch 8, BPTT 16\) needs at least 256 and 16/) });
      expect(await store.list()).toEqual([]);
    });
  });
});
