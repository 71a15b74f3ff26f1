import { onnxRecurrentWeights, reorderGateBlocks, transpose } from '../index.js';

// The reference is the two specs' gate orders written out by name, not ONNX_GATE_SOURCE:
// PyTorch stacks nn.GRU's rows as r, z, n and nn.LSTM's as i, f, g, o; the ONNX GRU operator
// takes W[zrh] and LSTM W[iofc] (c is PyTorch's g, the cell candidate).
const PYTORCH_ORDER = { rnn: ['h'], gru: ['r', 'z', 'n'], lstm: ['i', 'f', 'g', 'o'] } as const;
const ONNX_ORDER = { rnn: ['h'], gru: ['z', 'r', 'n'], lstm: ['i', 'o', 'f', 'g'] } as const;

/** A value that says which gate, which row of the gate block and which column it came from. */
const label = (gate: number, row: number, col: number, tensor: number) => 1000 * tensor + 100 * (gate + 1) + 10 * row + col;

function stacked(arch: keyof typeof PYTORCH_ORDER, order: readonly string[], hidden: number, cols: number, tensor: number): Float32Array {
  const out: number[] = [];
  for (const gate of order) {
    const g = PYTORCH_ORDER[arch].indexOf(gate as never);
    for (let r = 0; r < hidden; r++) for (let c = 0; c < cols; c++) out.push(label(g, r, c, tensor));
  }
  return Float32Array.from(out);
}

describe('onnxRecurrentWeights', () => {
  test.each(['rnn', 'gru', 'lstm'] as const)('%s: W, R and B hold PyTorch gate blocks in the ONNX operator order', (arch) => {
    const hidden = 2;
    const input = 3;
    const pytorch = {
      weightIh: stacked(arch, PYTORCH_ORDER[arch], hidden, input, 1),
      weightHh: stacked(arch, PYTORCH_ORDER[arch], hidden, hidden, 2),
      biasIh: stacked(arch, PYTORCH_ORDER[arch], hidden, 1, 3),
      biasHh: stacked(arch, PYTORCH_ORDER[arch], hidden, 1, 4),
    };
    const { W, R, B } = onnxRecurrentWeights(arch, hidden, input, pytorch);
    const G = PYTORCH_ORDER[arch].length;
    expect(W).toHaveLength(G * hidden * input);
    expect(R).toHaveLength(G * hidden * hidden);
    expect(B).toHaveLength(2 * G * hidden);
    expect(Array.from(W)).toEqual(Array.from(stacked(arch, ONNX_ORDER[arch], hidden, input, 1)));
    expect(Array.from(R)).toEqual(Array.from(stacked(arch, ONNX_ORDER[arch], hidden, hidden, 2)));
    expect(Array.from(B)).toEqual([...stacked(arch, ONNX_ORDER[arch], hidden, 1, 3), ...stacked(arch, ONNX_ORDER[arch], hidden, 1, 4)]);
  });

  test('leaves its inputs as they were', () => {
    const weightIh = Float32Array.from({ length: 12 }, (_, i) => i);
    const copy = Float32Array.from(weightIh);
    reorderGateBlocks(weightIh, 4, [1, 0, 2]);
    expect(weightIh).toEqual(copy);
  });
});

describe('transpose', () => {
  test('[rows, cols] → [cols, rows]', () => {
    // [[1, 2, 3], [4, 5, 6]] → [[1, 4], [2, 5], [3, 6]]
    expect(Array.from(transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 3, 2))).toEqual([1, 3, 5, 2, 4, 6]);
  });
});
