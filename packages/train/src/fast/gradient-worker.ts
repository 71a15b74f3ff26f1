// Worker thread of ParallelGradients: its own tfjs backend, the model's weights read from shared
// memory, and windowGradients on the streams it is sent; gradients go back through shared memory.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { expectedShapes, type ModelConfig } from '../model/config.js';
import { windowGradients } from './window-gradients.js';
import type { WorkerRequest, WorkerSetup } from './worker-protocol.js';
import { paramOffsets } from '../model/weights.js';
import { CONTROL_DONE, CONTROL_FAILED } from './worker-protocol.js';

const setup = workerData as WorkerSetup;
const config: ModelConfig = setup.config;
const shapes = expectedShapes(config);
const offsets = paramOffsets(config);
const weights = new Float32Array(setup.weights);
const grads = new Float32Array(setup.grads);
const control = new Int32Array(setup.control);
const result = new Float32Array(setup.result);

function finish(flag: number): void {
  Atomics.add(control, flag, 1);
  Atomics.notify(control, flag);
}

await selectBackend(setup.backend as BackendChoice);

parentPort!.on('message', (req: WorkerRequest) => {
  try {
    const params = new Map<string, tf.Tensor>();
    for (const [name, shape] of shapes) {
      const [from, size] = offsets.get(name)!;
      params.set(name, tf.tensor(weights.subarray(from, from + size), shape, 'float32'));
    }
    const stateShape: [number, number, number] = [config.numLayers, req.batchSize, config.hiddenSize];
    const state = { h: tf.tensor3d(req.h, stateShape), ...(req.c ? { c: tf.tensor3d(req.c, stateShape) } : {}) };
    const out = windowGradients(config, params, { input: req.input, target: req.target, seqLen: req.seqLen, batchSize: req.batchSize }, state, req.normalizer);
    for (const [name, g] of out.grads) grads.set(g.dataSync() as Float32Array, offsets.get(name)![0]);
    const h = out.state.h.dataSync() as Float32Array;
    result[0] = out.lossSum.dataSync()[0];
    result.set(h, 1);
    if (out.state.c) result.set(out.state.c.dataSync() as Float32Array, 1 + h.length);
    tf.dispose([...params.values(), ...out.grads.values(), out.lossSum, out.state.h, state.h]);
    if (out.state.c) tf.dispose([out.state.c, state.c!]);
    finish(CONTROL_DONE);
  } catch (e) {
    console.error(`gradient worker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    Atomics.add(control, CONTROL_FAILED, 1);
    finish(CONTROL_DONE);
  }
});
parentPort!.postMessage('ready');
