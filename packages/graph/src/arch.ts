import type { Arch } from '@charrnn/contract';

export type { Arch };

/** Gate blocks stacked in a layer's weight rows: rnn 1, gru 3 (r, z, n), lstm 4 (i, f, g, o). */
export function gateCount(arch: Arch): number {
  return arch === 'rnn' ? 1 : arch === 'gru' ? 3 : 4;
}
