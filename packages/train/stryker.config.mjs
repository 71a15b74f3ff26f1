// nx run train:mutate: mutation testing of the modules where a silent bug costs most (issue 16).
// The fast path's windows (fast/window.ts, gru-window.ts, rnn-window.ts, lstm-window.ts, ~250 more
// mutants) are left for a later run: the four modules below took the time there was on two shared cores.
import { strykerConfig } from '../../tools/stryker-config.mjs';

// Judged by the unit tests of these modules; the training loops, CLIs and onnxruntime engine tests
// take seconds to minutes each and would run once per mutant.
export default strykerConfig('train', ['checkpoint/safetensors.ts', 'schedule/schedule.ts', 'optim/adam.ts', 'optim/sgd.ts'], {
  tests: ['checkpoint/safetensors.test.ts', 'checkpoint/checkpoint.test.ts', 'schedule/schedule.test.ts', 'optim/optimizers.test.ts'],
});
