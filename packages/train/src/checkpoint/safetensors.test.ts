import { CheckpointError } from './errors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

function sample() {
  return new Map([
    ['a', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-7, -0]) }],
    ['b.bias', { shape: [1], data: Float32Array.from([Math.PI]) }],
  ]);
}

describe('safetensors', () => {
  test('layout: u64 LE header length, 8-aligned JSON header, little-endian float32 data', () => {
    const bytes = writeSafetensors(sample(), { k: 'v' });
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({
      __metadata__: { k: 'v' },
      a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      'b.bias': { dtype: 'F32', shape: [1], data_offsets: [24, 28] },
    });
    expect(bytes.length).toBe(8 + n + 28);
    expect(view.getFloat32(8 + n + 8, true)).toBe(3.5);
    expect(view.getFloat32(8 + n + 24, true)).toBeCloseTo(Math.PI, 6);
  });

  test('round-trips values, shapes and metadata, and re-encodes to identical bytes', () => {
    const bytes = writeSafetensors(sample(), { 'charrnn.lower': 'true' });
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ 'charrnn.lower': 'true' });
    expect([...tensors.keys()]).toEqual(['a', 'b.bias']);
    expect(tensors.get('a')!.shape).toEqual([2, 3]);
    expect(Array.from(tensors.get('a')!.data)).toEqual(Array.from(sample().get('a')!.data));
    expect(Object.is(tensors.get('a')!.data[5], -0)).toBe(true);
    expect(writeSafetensors(tensors, metadata)).toEqual(bytes);
  });

  test('detects truncation in the data and in the header, naming the tensor', () => {
    const bytes = writeSafetensors(sample());
    expect(() => readSafetensors(bytes.subarray(0, bytes.length - 2), 'x.safetensors')).toThrow(
      /x\.safetensors: tensor b\.bias ends at data byte 28 but the file has only 26 data bytes \(truncated\)/,
    );
    expect(() => readSafetensors(bytes.subarray(0, 20), 'x.safetensors')).toThrow(/header needs \d+ bytes .*truncated/);
    expect(() => readSafetensors(bytes.subarray(0, 5))).toThrow(/too short/);
  });

  test('rejects wrong dtype, inconsistent offsets and trailing bytes with CheckpointError', () => {
    const make = (header: object, dataBytes: number) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(() => readSafetensors(make({ w: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4))).toThrow(/tensor w has dtype "F16", expected "F32"/);
    expect(() => readSafetensors(make({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8))).toThrow(/tensor w with shape \[3\] needs 12 bytes/);
    expect(() => readSafetensors(make({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 12))).toThrow(/cover 8 data bytes but the file has 12/);
    expect(() => readSafetensors(make({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 12))).toThrow(CheckpointError);
    const garbage = new Uint8Array(16);
    new DataView(garbage.buffer).setBigUint64(0, 4n, true);
    garbage.set([0x7b, 0x22, 0x7d, 0x7d], 8);
    expect(() => readSafetensors(garbage)).toThrow(/not valid UTF-8 JSON/);
  });

  test('refuses a tensor whose data length does not match its shape', () => {
    expect(() => writeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow('tensor w has 3 values, shape [2,2] needs 4');
  });
});
