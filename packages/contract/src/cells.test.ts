import { ARCHS } from './arch.js';
import { CELL_SHAPES, gateCount, hasState, mapStates, stateNames, stateShape, stateSize } from './cells.js';

describe('cell shapes (contract 1 gate rows, contract 2 states)', () => {
  test("gate blocks are PyTorch's, in its order, as contract 1 documents them", () => {
    expect(Object.keys(CELL_SHAPES)).toEqual([...ARCHS]);
    expect(CELL_SHAPES.rnn.gates).toEqual(['h']);
    expect(CELL_SHAPES.gru.gates).toEqual(['r', 'z', 'n']);
    expect(CELL_SHAPES.lstm.gates).toEqual(['i', 'f', 'g', 'o']);
    expect(ARCHS.map(gateCount)).toEqual([1, 3, 4]);
  });

  test('rnn and gru carry h; lstm carries h then c', () => {
    expect(ARCHS.map((a) => stateNames(a))).toEqual([['h'], ['h'], ['h', 'c']]);
    expect(ARCHS.map((a) => hasState(a, 'c'))).toEqual([false, false, true]);
    expect(ARCHS.map((a) => hasState(a, 'h'))).toEqual([true, true, true]);
  });

  test('every state is [layers, batch, hidden]', () => {
    expect(stateShape({ numLayers: 2, hiddenSize: 7 }, 3)).toEqual([2, 3, 7]);
    expect(stateSize({ numLayers: 2, hiddenSize: 7 })).toBe(14);
  });

  test('mapStates keys one value per state of the cell, in order', () => {
    expect(mapStates('gru', (s, i) => `${s}${i}`)).toEqual({ h: 'h0' });
    expect(mapStates('lstm', (s, i) => `${s}${i}`)).toEqual({ h: 'h0', c: 'c1' });
  });
});
