/**
 * What contracts 1 and 2 fix about each recurrent cell: the gate blocks stacked in a layer's weight
 * rows (PyTorch's order) and the state tensors a model carries from call to call. The graph
 * functions of each cell live in @charrnn/graph's CellSpec; this is the part every reader of a
 * checkpoint or an ONNX model needs, infer-web's browser bundle included.
 */
import type { Arch } from './arch.js';

/** A recurrent state tensor: `h` (every cell) and `c` (the LSTM's cell state), each [layers, batch, hidden]. */
export type StateName = 'h' | 'c';

export interface CellShape {
  /** The gate blocks of weight_ih/weight_hh/bias rows, each `hidden` rows, in PyTorch's order. */
  gates: readonly string[];
  /** The states the cell carries, in the order contract 2 lists their inputs and outputs. */
  states: readonly StateName[];
}

export const CELL_SHAPES: Readonly<Record<Arch, CellShape>> = {
  // nn.RNN has one block: the pre-activation of the new state.
  rnn: { gates: ['h'], states: ['h'] },
  // nn.GRU: reset, update, new.
  gru: { gates: ['r', 'z', 'n'], states: ['h'] },
  // nn.LSTM: input, forget, cell, output.
  lstm: { gates: ['i', 'f', 'g', 'o'], states: ['h', 'c'] },
};

/** Gate blocks stacked in a layer's weight rows: rnn 1, gru 3 (r, z, n), lstm 4 (i, f, g, o). */
export function gateCount(arch: Arch): number {
  return CELL_SHAPES[arch].gates.length;
}

/** The states a model of `arch` carries: ['h'], or ['h', 'c'] for an LSTM. */
export function stateNames(arch: Arch): readonly StateName[] {
  return CELL_SHAPES[arch].states;
}

/** Whether a model of `arch` carries state `name` (an LSTM's `c`). */
export function hasState(arch: Arch, name: StateName): boolean {
  return CELL_SHAPES[arch].states.includes(name);
}

/** Floats of one state tensor per stream: every state is [layers, batch, hidden]. */
export function stateSize(config: { numLayers: number; hiddenSize: number }): number {
  return config.numLayers * config.hiddenSize;
}

/** The shape of every state tensor for `batch` streams. */
export function stateShape(config: { numLayers: number; hiddenSize: number }, batch: number): [number, number, number] {
  return [config.numLayers, batch, config.hiddenSize];
}

/** One value per state: `h` always, `c` where the cell carries it. */
export type StateRecord<T> = { h: T } & Partial<Record<StateName, T>>;

/** `value(name)` for each state of `arch`, keyed by state name. */
export function mapStates<T>(arch: Arch, value: (name: StateName, index: number) => T): StateRecord<T> {
  return Object.fromEntries(stateNames(arch).map((s, i) => [s, value(s, i)])) as StateRecord<T>;
}
