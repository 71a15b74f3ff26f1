import { ARCHS, CELL_SHAPES, type Arch } from '@charrnn/contract';
import { CELLS, cellSpec } from './registry.js';

describe('the cell registry', () => {
  test('one spec per arch, named for it, with the contract’s gates and states', () => {
    expect(Object.keys(CELLS)).toEqual([...ARCHS]);
    for (const arch of ARCHS) {
      const spec = cellSpec(arch);
      expect(spec.arch).toBe(arch);
      expect(spec.gates).toEqual(CELL_SHAPES[arch].gates);
      expect(spec.states).toEqual(CELL_SHAPES[arch].states);
    }
  });

  test('ONNX operators and attributes: GRU is the linear_before_reset = 1 variant, the others take none', () => {
    expect(ARCHS.map((a) => CELLS[a].onnx.op)).toEqual(['RNN', 'GRU', 'LSTM']);
    expect(CELLS.gru.onnx.attributes).toEqual({ linear_before_reset: { type: 'int', value: 1 } });
    expect(CELLS.rnn.onnx.attributes).toEqual({});
    expect(CELLS.lstm.onnx.attributes).toEqual({});
  });

  test('each gate layout is a permutation of the gate blocks, and the foldable recurrent biases are a prefix of them', () => {
    for (const arch of ARCHS) {
      const { gateSource } = CELLS[arch].onnx;
      expect([...gateSource].sort()).toEqual(CELLS[arch].gates.map((_, i) => i));
      expect(CELLS[arch].additiveRecurrentBiasGates).toBeLessThanOrEqual(CELLS[arch].gates.length);
    }
    // GRU's b_hn is scaled by the reset gate, so only r and z are plain additions.
    expect(ARCHS.map((a) => CELLS[a].additiveRecurrentBiasGates)).toEqual([1, 2, 4]);
  });

  test('an unknown cell name is refused, naming the known ones', () => {
    expect(() => cellSpec('transformer' as Arch)).toThrow('no recurrent cell named "transformer"; known cells: rnn, gru, lstm');
  });
});
