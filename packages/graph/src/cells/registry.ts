import { ARCHS, type Arch } from '@charrnn/contract';
import type { CellSpec } from './cell-spec.js';
import { GRU_CELL } from './gru.js';
import { LSTM_CELL } from './lstm.js';
import { RNN_CELL } from './rnn.js';

/** Every cell by its name; a Record over Arch, so a new arch without a spec does not compile. */
export const CELLS: Readonly<Record<Arch, CellSpec>> = {
  rnn: RNN_CELL,
  gru: GRU_CELL,
  lstm: LSTM_CELL,
};

/** The spec of `arch`; throws a RangeError naming the known cells for a name that is none. */
export function cellSpec(arch: Arch): CellSpec {
  const spec = (CELLS as Partial<Record<string, CellSpec>>)[arch];
  if (spec === undefined) throw new RangeError(`no recurrent cell named ${JSON.stringify(arch)}; known cells: ${ARCHS.join(', ')}`);
  return spec;
}
