import type { NamedTensor } from '../model/weights.js';
import { formatShape, shapeSize } from '../model/weights.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { CheckpointError } from './errors.js';

/**
 * The safetensors format (huggingface/safetensors): u64 little-endian header length N, N bytes of
 * JSON { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } },
 * then the raw little-endian tensor bytes, offsets relative to the start of that data block.
 * Only F32 is read and written: the checkpoint contract stores float32.
 */
export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Header sizes beyond this are a corrupt length field, not a real file (the reference implementation caps at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export function readSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) fail(`header length field says ${headerLength} bytes, which is not a safetensors file`);
  if (8 + headerLength > bytes.length) {
    fail(`header needs ${headerLength} bytes but the file has only ${bytes.length - 8} after the length field (truncated)`);
  }
  let header: unknown;
  let headerText = '';
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(headerText);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const duplicate = findDuplicateKey(headerText);
  if (duplicate !== undefined) {
    const where = duplicate.path.length === 0 ? '' : ` in ${duplicate.path.map((k) => JSON.stringify(k)).join(' → ')}`;
    fail(`header has key ${JSON.stringify(duplicate.key)} twice${where}; each tensor and field must appear once`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensor>();
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) fail('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ ${k} is ${typeof v}, expected a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor ${name}: header entry is not an object`);
    if (e.dtype !== 'F32') fail(`tensor ${name} has dtype ${JSON.stringify(e.dtype)}, expected "F32"`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor ${name} has shape ${JSON.stringify(shape)}, expected an array of non-negative integers`);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      fail(`tensor ${name} has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = offsets as [number, number];
    const numel = shapeSize(shape as number[]);
    if (end - begin !== numel * 4) {
      fail(`tensor ${name} with shape ${formatShape(shape as number[])} needs ${numel * 4} bytes, its data_offsets [${begin},${end}] span ${end - begin}`);
    }
    if (end > dataLength) {
      fail(`tensor ${name} ends at data byte ${end} but the file has only ${dataLength} data bytes (truncated)`);
    }
    const data = new Float32Array(numel);
    const base = dataStart + begin;
    for (let i = 0; i < numel; i++) data[i] = view.getFloat32(base + 4 * i, true);
    tensors.set(name, { dtype: 'F32', shape: [...(shape as number[])], data });
    ranges.push({ name, begin, end });
  }
  checkRanges(ranges, dataLength, fail);
  return { tensors, metadata };
}

/**
 * The reference implementation's rule: sorted by offset, each tensor starts where the previous
 * one ended and the last ends at the end of the file. Without it two tensors could share bytes
 * (one weight silently loaded as another) while a gap elsewhere keeps the byte count right.
 */
function checkRanges(ranges: { name: string; begin: number; end: number }[], dataLength: number, fail: (msg: string) => never): void {
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const span = (r: { begin: number; end: number }): string => `data bytes [${r.begin},${r.end})`;
  let covered = 0;
  let previous: (typeof ranges)[number] | undefined;
  for (const r of ranges) {
    if (previous !== undefined && r.begin < covered) {
      fail(`tensor ${r.name} (${span(r)}) overlaps tensor ${previous.name} (${span(previous)}); every tensor needs its own bytes`);
    }
    if (r.begin > covered) fail(`data bytes [${covered},${r.begin}) belong to no tensor (a gap before tensor ${r.name})`);
    covered = r.end;
    previous = r;
  }
  if (covered !== dataLength) {
    fail(`tensors cover ${covered} data bytes but the file has ${dataLength}: data bytes [${covered},${dataLength}) belong to no tensor`);
  }
}

/** Serialises float32 tensors in map order; the header is space-padded to 8 bytes as the reference writer does. */
export function writeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new CheckpointError('tensor name __metadata__ is reserved by the safetensors format');
    const numel = shapeSize(t.shape);
    if (t.data.length !== numel) {
      throw new CheckpointError(`tensor ${name} has ${t.data.length} values, shape ${formatShape(t.shape)} needs ${numel}`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + numel * 4] };
    offset += numel * 4;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  json += ' '.repeat(padded - headerBytes.length);
  headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i], true);
  }
  return out;
}
