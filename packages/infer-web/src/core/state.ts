/**
 * The generator's state as a plain, JSON-serialisable value: hidden state(s) as little-endian
 * float32 base64 (exact and compact) or plain number arrays (float32 → float64 → float32 is
 * exact), ids not yet fed to the model, the last logits if no id is pending, and the Rng.
 * Byte order is fixed (DataView, little-endian) so a snapshot taken in Node restores in a browser.
 */
import { hasState, stateSize, type Arch, type ModelInfo } from '@charrnn/contract';
import { InvalidStateError } from './errors.js';
import type { RngState } from './rng.js';

export const STATE_FORMAT = 'charrnn-state/1';

export type FloatEncoding = 'base64' | 'array';

export interface GeneratorSnapshot {
  format: typeof STATE_FORMAT;
  arch: Arch;
  numLayers: number;
  hiddenSize: number;
  vocabSize: number;
  /** h [layers, 1, hidden]. */
  h: string | number[];
  /** LSTM cell state c [layers, 1, hidden]. */
  c?: string | number[];
  /** Ids already part of the text but not yet run through the model. */
  pending: number[];
  /** Logits for the next character when nothing is pending (after a prompt-only call). */
  logits?: string | number[];
  rng: [number, number, number, number];
}

/** The live state the generator keeps for one stream. */
export interface StreamState {
  h: Float32Array;
  c: Float32Array | undefined;
  pending: number[];
  logits: Float32Array | undefined;
}

export function emptyStreamState(info: ModelInfo): StreamState {
  const size = stateSize(info);
  return { h: new Float32Array(size), c: hasState(info.arch, 'c') ? new Float32Array(size) : undefined, pending: [], logits: undefined };
}

export function cloneStreamState(s: StreamState): StreamState {
  return { h: s.h.slice(), c: s.c?.slice(), pending: [...s.pending], logits: s.logits?.slice() };
}

export function encodeFloats(values: Float32Array, encoding: FloatEncoding): string | number[] {
  if (encoding === 'array') return Array.from(values);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function decodeFloats(field: string, value: unknown, length: number): Float32Array {
  if (Array.isArray(value)) {
    if (value.length !== length) throw new InvalidStateError(`state.${field} has ${value.length} entries, expected ${length} numbers`);
    const bad = value.findIndex((x) => typeof x !== 'number');
    if (bad >= 0) {
      const why = value[bad] === null ? ' (JSON writes NaN and ±Infinity as null: the state was saved from a generator whose numbers were not finite)' : '';
      throw new InvalidStateError(`state.${field}[${bad}] is ${JSON.stringify(value[bad]) ?? String(value[bad])}, expected a finite number${why}`);
    }
    return checkFinite(field, Float32Array.from(value as number[]));
  }
  if (typeof value !== 'string') throw new InvalidStateError(`state.${field} must be a base64 string or a number array`);
  let binary: string;
  try {
    binary = atob(value);
  } catch {
    throw new InvalidStateError(`state.${field} is not valid base64`);
  }
  if (binary.length !== length * 4) {
    throw new InvalidStateError(`state.${field} holds ${binary.length} bytes, expected ${length * 4} (${length} float32)`);
  }
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  return checkFinite(field, out);
}

/** A NaN in h or c spreads to every later character; in the logits it samples noise. */
function checkFinite(field: string, values: Float32Array): Float32Array {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new InvalidStateError(`state.${field}[${bad}] is ${values[bad]}; a state holds finite numbers only (one from getState() of a working generator)`);
  }
  return values;
}

export function toSnapshot(info: ModelInfo, s: StreamState, rng: RngState, encoding: FloatEncoding): GeneratorSnapshot {
  const snapshot: GeneratorSnapshot = {
    format: STATE_FORMAT,
    arch: info.arch,
    numLayers: info.numLayers,
    hiddenSize: info.hiddenSize,
    vocabSize: info.vocabSize,
    h: encodeFloats(s.h, encoding),
    pending: [...s.pending],
    rng: [rng[0], rng[1], rng[2], rng[3]],
  };
  if (s.c !== undefined) snapshot.c = encodeFloats(s.c, encoding);
  if (s.logits !== undefined) snapshot.logits = encodeFloats(s.logits, encoding);
  return snapshot;
}

/** Checks a snapshot against the model and returns fresh live state; errors name the field. */
export function fromSnapshot(info: ModelInfo, value: unknown): { stream: StreamState; rng: RngState } {
  if (typeof value !== 'object' || value === null) throw new InvalidStateError('state must be an object from getState()');
  const s = value as Partial<GeneratorSnapshot>;
  if (s.format !== STATE_FORMAT) throw new InvalidStateError(`state.format is ${JSON.stringify(s.format)}, expected "${STATE_FORMAT}"`);
  const expect: [keyof GeneratorSnapshot, unknown][] = [
    ['arch', info.arch],
    ['numLayers', info.numLayers],
    ['hiddenSize', info.hiddenSize],
    ['vocabSize', info.vocabSize],
  ];
  for (const [key, want] of expect) {
    if (s[key] !== want) throw new InvalidStateError(`state.${key} is ${JSON.stringify(s[key])} but this model has ${JSON.stringify(want)}`);
  }
  const size = info.numLayers * info.hiddenSize;
  const h = decodeFloats('h', s.h, size);
  let c: Float32Array | undefined;
  if (hasState(info.arch, 'c')) c = decodeFloats('c', s.c, size);
  else if (s.c !== undefined) throw new InvalidStateError(`state.c is only valid for lstm models, this one is ${info.arch}`);
  if (!Array.isArray(s.pending) || !s.pending.every((id) => Number.isInteger(id) && id >= 0 && id < info.vocabSize)) {
    throw new InvalidStateError(`state.pending must be an array of token ids in [0, ${info.vocabSize})`);
  }
  const logits = s.logits === undefined ? undefined : decodeFloats('logits', s.logits, info.vocabSize);
  if (!Array.isArray(s.rng) || s.rng.length !== 4 || !s.rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    throw new InvalidStateError('state.rng must be 4 unsigned 32-bit integers');
  }
  return {
    stream: { h, c, pending: [...s.pending], logits },
    rng: [s.rng[0], s.rng[1], s.rng[2], s.rng[3]],
  };
}
