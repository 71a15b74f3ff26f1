import type { Arch, CellShape, StateRecord } from '@charrnn/contract';
import type { Attribute, GraphBuilder } from '../graph-builder.js';

/** A cell's state values in a graph by state name: `h` always, `c` for a cell that carries it. */
export type StateValues = StateRecord<string>;

/** What one forward step computes: the new state (`h`, and `c` where the cell has it) and whatever its backward step reuses. */
export type CellStep = StateValues;

/** The result of a cell's backward step: gradients of the two pre-activation projections and of the entering state. */
export interface CellGradients {
  /** d/d(x·W_ihᵀ + b_ih), gate blocks stacked like the projection. */
  dGx: string;
  /** d/d(h·W_hhᵀ + b_hh); the same value as dGx where the cell adds the two projections before any gate. */
  dGh: string;
  /** d/d of each state that entered the step; absent when not asked for (the window's first step). */
  dPrev?: StateValues;
}

/**
 * One recurrent cell, written once: the layout facts of contracts 1 and 2 (gates, states), how
 * ONNX's fused operator holds it, and its forward and backward steps as graph functions. Train's
 * training graphs and export's step and fused graphs look a cell up by name (`cellSpec(arch)`)
 * and never ask which one they hold. docs/adding-a-cell.md walks through adding one.
 */
export interface CellSpec<Step extends CellStep = CellStep> extends CellShape {
  arch: Arch;
  onnx: {
    /** The ONNX operator that runs a whole sequence of this cell. */
    op: 'RNN' | 'GRU' | 'LSTM';
    /** Its attributes besides hidden_size and layout. */
    attributes: Readonly<Record<string, Attribute>>;
    /** For each ONNX gate slot, the PyTorch gate block that fills it (ONNX stacks GRU z,r,h and LSTM i,o,f,c). */
    gateSource: readonly number[];
  };
  /**
   * How many leading gate blocks of b_hh are only added to the pre-activation, so that an engine
   * may fold them into the input projection (all of them for rnn and lstm; r and z for gru,
   * whose b_hn is scaled by the reset gate).
   */
  additiveRecurrentBiasGates: number;
  /**
   * One step: `xp` = x·W_ihᵀ + b_ih and `hp` = h·W_hhᵀ + b_hh, each [..., G·hidden], and the
   * entering `state`; returns the new state and the activations the backward step reuses.
   */
  forward(g: GraphBuilder, xp: string, hp: string, state: StateValues, hidden: number, name: string): Step;
  /**
   * The backward step of `step`: `d` holds the gradients reaching its new state (`c` absent at a
   * window's last step, where only h feeds the loss); `weightHh` is W_hh in PyTorch's layout
   * [G·hidden, hidden], null to skip the gradients of the entering state (a window's first step,
   * whose entering state is detached).
   */
  backward(g: GraphBuilder, step: Step, d: StateValues, weightHh: string | null, name: string): CellGradients;
}
