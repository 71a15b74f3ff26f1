import { stateNames } from '@charrnn/contract';
import type { Arch } from './config.js';
import { ModelInputError } from './errors.js';
import type { RecurrentState } from './recurrent.js';

/**
 * Throws ModelInputError unless `state` holds h (and, for an LSTM, c) of shape [layers, batch,
 * hidden]; `hint` ends the message of a wrong shape (what the caller's input was, what to use).
 */
export function checkRecurrentState(
  { arch, numLayers, hiddenSize }: { arch: Arch; numLayers: number; hiddenSize: number },
  batch: number,
  state: RecurrentState,
  hint = '',
): void {
  const expected = `[${numLayers},${batch},${hiddenSize}]`;
  for (const key of stateNames(arch)) {
    const t = state[key];
    if (!t) throw new ModelInputError(`${arch} state needs ${key} ${expected}${key === 'h' ? '' : ' besides h'}`);
    if (t.shape.join(',') !== expected.slice(1, -1)) {
      throw new ModelInputError(`recurrent state ${key} has shape [${t.shape}], expected ${expected}${hint}`);
    }
  }
}
