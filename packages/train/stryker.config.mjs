// nx run train:mutate: mutation testing of the modules where a silent bug costs most.
import { strykerConfig } from '../../tools/stryker-config.mjs';

// The fast path's windows: everything that computes one BPTT window's loss and gradients by hand
// instead of tfjs' tape, where a wrong term trains a worse model without any error. The three
// layer windows (fast/*-window.ts) with their shared helpers (window.ts); window-gradients.ts,
// which chains them with the fused embedding, dropout, decoder and loss; input-projection.ts (the
// biases folded into the input projection, the weight gradients' matmuls); heap.ts (the row and
// column blocks, gathers and scatter-adds every window step goes through on wasm); and
// loss-and-gradients.ts, the trainer's entry to them (dropout masks, the mean). Not the parallel
// split across workers (parallel-gradients.ts, stream-split.ts, the worker): its tests spawn
// worker threads, seconds per mutant.
const FAST_WINDOWS = ['window.ts', 'gru-window.ts', 'rnn-window.ts', 'lstm-window.ts', 'window-gradients.ts', 'input-projection.ts', 'heap.ts', 'loss-and-gradients.ts'].map((m) => `fast/${m}`);

// Judged by the unit tests of these modules; the training loops, CLIs, workers and onnxruntime
// engine tests take seconds to minutes each and would run once per mutant. The windows are judged
// by fast/loss-and-gradients.test.ts (the loss, final state and every gradient against tfjs' tape
// on tiny sizes, cpu and wasm, ~4 s for the file), fast/window-gradients.test.ts, heap.test.ts and
// input-projection.test.ts. The recurrent-state check both paths make (model/state-check.ts) is
// judged by those and model/char-model.test.ts.
export default strykerConfig('train', ['checkpoint/safetensors.ts', 'schedule/schedule.ts', 'optim/adam.ts', 'optim/sgd.ts', ...FAST_WINDOWS, 'model/state-check.ts'], {
  tests: ['checkpoint/safetensors.test.ts', 'checkpoint/checkpoint.test.ts', 'schedule/schedule.test.ts', 'optim/optimizers.test.ts', 'fast/loss-and-gradients.test.ts', 'fast/window-gradients.test.ts', 'fast/heap.test.ts', 'fast/input-projection.test.ts', 'model/char-model.test.ts'],
});
