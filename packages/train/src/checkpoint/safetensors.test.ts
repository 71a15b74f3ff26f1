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

  describe('every data byte belongs to exactly one tensor', () => {
    const make = (header: object | string, dataBytes: number) => {
      const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

    test('an alias (two tensors on the same bytes) is refused even when a gap makes the byte count add up', () => {
      const bytes = make({ a: f32([2], 0, 8), b: f32([2], 0, 8) }, 16);
      expect(() => readSafetensors(bytes, 'x.safetensors')).toThrow(
        'x.safetensors: tensor b (data bytes [0,8)) overlaps tensor a (data bytes [0,8)); every tensor needs its own bytes',
      );
    });

    test('a partial overlap is refused, naming both tensors', () => {
      const bytes = make({ a: f32([3], 0, 12), b: f32([2], 8, 16), c: f32([1], 16, 20) }, 16 + 4);
      expect(() => readSafetensors(bytes)).toThrow(/tensor b \(data bytes \[8,16\)\) overlaps tensor a \(data bytes \[0,12\)\)/);
    });

    test('a gap between tensors is refused, naming the unclaimed bytes', () => {
      const bytes = make({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12);
      expect(() => readSafetensors(bytes)).toThrow(/data bytes \[4,8\) belong to no tensor/);
    });

    test('tensors may be listed in any order, and empty tensors sit between others', () => {
      const bytes = make({ b: f32([1], 4, 8), e: f32([0], 4, 4), a: f32([1], 0, 4) }, 8);
      new DataView(bytes.buffer).setFloat32(bytes.length - 8, 1.5, true);
      const { tensors } = readSafetensors(bytes);
      expect(tensors.get('a')!.data[0]).toBe(1.5);
      expect(tensors.get('e')!.data.length).toBe(0);
    });

    test('a negative begin offset is refused before it can reach into the header', () => {
      const bytes = make({ w: f32([2], -4, 4) }, 4);
      expect(() => readSafetensors(bytes)).toThrow('tensor w has data_offsets [-4,4], expected [begin, end] with 0 ≤ begin ≤ end');
    });

    test('a key given twice in the header, or in a tensor entry, is refused', () => {
      const twice = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
      expect(() => readSafetensors(make(twice, 8), 'x.safetensors')).toThrow(
        'x.safetensors: header has key "a" twice; each tensor and field must appear once',
      );
      const field = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8],"data_offsets":[0,4]}}';
      expect(() => readSafetensors(make(field, 4))).toThrow('header has key "data_offsets" twice in "a"');
      const meta = '{"__metadata__":{"k":"v","k":"w"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
      expect(() => readSafetensors(make(meta, 4))).toThrow('header has key "k" twice in "__metadata__"');
      // Escapes are compared decoded: "\u0061" is "a".
      const escaped = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
      expect(() => readSafetensors(make(escaped, 4))).toThrow('header has key "a" twice');
      // Equal strings as values, or keys equal across different objects, are fine.
      const fine = '{"__metadata__":{"a":"a","shape":"x"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
      expect(readSafetensors(make(fine, 4)).metadata).toEqual({ a: 'a', shape: 'x' });
    });
  });

  describe('a malformed file is refused with a message naming what is wrong', () => {
    // Files put together by hand, the format's rules spelled out here rather than taken from the writer.
    const file = (header: string, dataBytes: number, headerLength = new TextEncoder().encode(header).length) => {
      const json = new TextEncoder().encode(header);
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
      out.set(json, 8);
      return out;
    };
    const f32 = (shape: unknown, offsets: unknown) => JSON.stringify({ dtype: 'F32', shape, data_offsets: offsets });

    test.each([
      ['7 bytes', new Uint8Array(7), 'safetensors data: file is 7 bytes, too short for the 8-byte header length (truncated?)'],
      ['a zero header length', new Uint8Array(8), /^safetensors data: header is not valid UTF-8 JSON/],
      ['a header length over 100 MB', file('{}', 0, 100_000_001), 'safetensors data: header length field says 100000001 bytes, which is not a safetensors file'],
      ['a 100 MB header in a short file', file('{}', 2, 100_000_000), 'safetensors data: header needs 100000000 bytes but the file has only 4 after the length field (truncated)'],
      ['invalid UTF-8 in the header', (() => { const f = file('{"__metadata__":{"k":"?"}}', 0); f[8 + 22] = 0xff; return f; })(), /header is not valid UTF-8 JSON \(/],
      ['an array header', file('[]', 0), 'safetensors data: header is not a JSON object'],
      ['a null header', file('null', 0), 'safetensors data: header is not a JSON object'],
      ['a number header', file('3', 0), 'safetensors data: header is not a JSON object'],
      ['a key twice two levels down', file('{"a":{"dtype":"F32","shape":{"x":1,"x":2},"data_offsets":[0,4]}}', 4), 'header has key "x" twice in "a" → "shape"'],
      ['__metadata__ null', file('{"__metadata__":null}', 0), 'safetensors data: __metadata__ is not an object of strings'],
      ['__metadata__ a string', file('{"__metadata__":"k"}', 0), 'safetensors data: __metadata__ is not an object of strings'],
      ['a metadata value that is a number', file('{"__metadata__":{"k":1}}', 0), 'safetensors data: __metadata__ k is number, expected a string'],
      ['a tensor entry that is a number', file('{"w":3}', 0), 'safetensors data: tensor w: header entry is not an object'],
      ['a tensor entry that is null', file('{"w":null}', 0), 'safetensors data: tensor w: header entry is not an object'],
      ['a fractional dim', file(`{"w":${f32([2.5], [0, 10])}}`, 10), 'safetensors data: tensor w has shape [2.5], expected an array of non-negative integers'],
      ['a negative dim after a good one', file(`{"w":${f32([1, -1], [0, 0])}}`, 0), 'tensor w has shape [1,-1], expected an array of non-negative integers'],
      ['a shape that is not an array', file(`{"w":${f32('2', [0, 8])}}`, 8), 'tensor w has shape "2", expected an array of non-negative integers'],
      ['offsets that are not an array', file(`{"w":${f32([1], '0,4')}}`, 4), 'tensor w has data_offsets "0,4", expected [begin, end] with 0 ≤ begin ≤ end'],
      ['three offsets', file(`{"w":${f32([1], [0, 4, 4])}}`, 4), 'tensor w has data_offsets [0,4,4], expected [begin, end] with 0 ≤ begin ≤ end'],
      ['an end before its begin', file(`{"a":${f32([0], [4, 0])},"b":${f32([1], [0, 4])}}`, 4), 'tensor a has data_offsets [4,0], expected [begin, end] with 0 ≤ begin ≤ end'],
      ['a size that disagrees with a later tensor\'s span', file(`{"a":${f32([1], [0, 4])},"b":${f32([3], [4, 12])}}`, 12), 'tensor b with shape [3] needs 12 bytes, its data_offsets [4,12] span 8'],
      ['bytes before the first tensor', file(`{"a":${f32([1], [4, 8])}}`, 8), 'data bytes [0,4) belong to no tensor (a gap before tensor a)'],
    ])('%s', (_what, bytes, message) => {
      expect(() => readSafetensors(bytes)).toThrow(CheckpointError);
      expect(() => readSafetensors(bytes)).toThrow(message);
    });

    test('a header that fills the file exactly, with no tensors, is an empty checkpoint', () => {
      const { tensors, metadata } = readSafetensors(file('{"__metadata__":{"k":"v"}}', 0));
      expect(tensors.size).toBe(0);
      expect(metadata).toEqual({ k: 'v' });
    });

    test('tensors read back with dtype F32', () => {
      expect(readSafetensors(file(`{"a":${f32([1], [0, 4])}}`, 4)).tensors.get('a')).toEqual({ dtype: 'F32', shape: [1], data: Float32Array.from([0]) });
    });
  });

  test('the writer: no __metadata__ entry for empty metadata, the header padded to the next multiple of 8, __metadata__ refused as a tensor name', () => {
    for (const metadata of [undefined, {}]) {
      const bytes = writeSafetensors(sample(), metadata);
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(Object.keys(JSON.parse(text))).toEqual(['a', 'b.bias']);
      expect(text.trimEnd().length).toBe(JSON.stringify(JSON.parse(text)).length);
      expect(n).toBe(Math.ceil(text.trimEnd().length / 8) * 8);
    }
    expect(() => writeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]]))).toThrow(
      'tensor name __metadata__ is reserved by the safetensors format',
    );
  });

  test('refuses a tensor whose data length does not match its shape', () => {
    expect(() => writeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow('tensor w has 3 values, shape [2,2] needs 4');
  });
});
