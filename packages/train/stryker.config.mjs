// nx run train:mutate: mutation testing of the modules where a silent bug costs most (issue 16).
import { strykerConfig } from '../../tools/stryker-config.mjs';

export default strykerConfig('train', ['checkpoint/safetensors.ts', 'schedule/schedule.ts', 'optim/adam.ts', 'optim/sgd.ts', 'fast/window.ts', 'fast/gru-window.ts', 'fast/rnn-window.ts', 'fast/lstm-window.ts']);
