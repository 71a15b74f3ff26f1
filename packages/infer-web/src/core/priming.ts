/**
 * Feeding prompts (and ids left pending) through the model before sampling. A prompt is run in
 * chunks of at most PRIME_CHUNK_CHARS characters rather than in one run: the fused graph returns
 * logits for every position ([seq, batch, vocab]) and onnxruntime's RNN kernels allocate their
 * gate activations for all of seq, so one run over a 1 MB prompt took 2.6 GB; chunked, memory is
 * bounded by the chunk whatever the prompt's length, only the last position's logits are kept,
 * and between chunks the event loop turns and an AbortSignal is honoured.
 */
import type { ModelInfo } from '@charrnn/contract';
import { InvalidPromptError } from './errors.js';
import { EventLoopTurns } from './event-loop.js';
import type { RecurrentSession } from './session.js';
import type { StreamState } from './state.js';

/**
 * Characters per priming run (rows × steps). Measured on the lesson GRU (hidden 256) with
 * onnxruntime-node on this 2-core machine: runs of 512 to 8192 characters prime at the same rate
 * within the noise, and a run of 512 takes ~5 ms quiet, ~10–25 ms under a load of 6, which keeps
 * an abort well inside 100 ms (README "Long prompts").
 */
export const PRIME_CHUNK_CHARS = 512;

/** The event loop is given a turn whenever this much time has passed since the last one. */
const TURN_EVERY_MS = 8;

export interface PrimeContext {
  session: RecurrentSession;
  info: ModelInfo;
  /** BigInt of every id (the int64 token buffer is written without allocating). */
  bigIds: readonly bigint[];
}

/**
 * Feeds each row's pending ids + prompt. Rows with inputs of the same length are primed together
 * ([steps, rows] per run). Returns false if `signal` was aborted between chunks: each row then
 * holds the state after what was run and the rest as pending, so a later call continues exactly;
 * rows of groups not yet started are unchanged. A failing run leaves the rows in the same
 * consistent form. After a complete priming every row has fresh logits and nothing pending.
 */
export async function primeRows(ctx: PrimeContext, rows: readonly StreamState[], prompts: readonly Int32Array[], signal?: AbortSignal): Promise<boolean> {
  const groups = new Map<number, number[]>();
  rows.forEach((row, b) => {
    const n = row.pending.length + prompts[b].length;
    if (n === 0 && row.logits === undefined) {
      throw new InvalidPromptError('empty prompt on a fresh state: there is no text to continue; give a prompt of at least one character');
    }
    if (n > 0) groups.set(n, [...(groups.get(n) ?? []), b]);
  });
  for (const members of groups.values()) {
    if (signal?.aborted) return false;
    const complete = await primeGroup(
      ctx,
      members.map((b) => rows[b]),
      members.map((b) => concat(rows[b].pending, prompts[b])),
      signal,
    );
    if (!complete) return false;
  }
  return true;
}

async function primeGroup(ctx: PrimeContext, rows: readonly StreamState[], ids: readonly Int32Array[], signal: AbortSignal | undefined): Promise<boolean> {
  const { session, info, bigIds } = ctx;
  const G = rows.length;
  const n = ids[0].length;
  const { vocabSize: V, numLayers: L, hiddenSize: H } = info;
  // The step graph has seq fixed to 1; the fused graph takes any seq.
  const steps = info.graph === 'step' ? 1 : Math.max(1, Math.floor(PRIME_CHUNK_CHARS / G));
  const full = new BigInt64Array(Math.min(steps, n) * G);
  const h = G === 1 ? rows[0].h : interleaveRows(rows.map((r) => r.h), L, H);
  const c = rows[0].c === undefined ? undefined : G === 1 ? rows[0].c : interleaveRows(rows.map((r) => r.c!), L, H);
  const last = new Float32Array(G * V);
  let done = 0;
  const turns = new EventLoopTurns(TURN_EVERY_MS);
  try {
    while (done < n) {
      if (done > 0) await turns.whenDue();
      if (done > 0 && signal?.aborted) break;
      const len = Math.min(steps, n - done);
      const tokens = len * G === full.length ? full : new BigInt64Array(len * G);
      for (let t = 0; t < len; t++) for (let g = 0; g < G; g++) tokens[t * G + g] = bigIds[ids[g][done + t]];
      const out = await session.run(tokens, len, G, h, c);
      h.set(out.hn);
      if (c !== undefined && out.cn !== undefined) c.set(out.cn);
      // Only the last position's logits are needed; the run's outputs are only valid until the next run.
      last.set(out.logits.subarray((len - 1) * G * V, len * G * V));
      done += len;
    }
  } finally {
    // Written once, at the end (or when leaving early), so that priming stays linear in n.
    rows.forEach((row, g) => {
      if (done === 0) return;
      if (G > 1) {
        scatterRow(h, row.h, g, G, L, H);
        if (c !== undefined) scatterRow(c, row.c!, g, G, L, H);
      }
      row.pending = done === n ? [] : toArray(ids[g], done);
      row.logits = done === n ? last.slice(g * V, (g + 1) * V) : undefined;
    });
  }
  return done === n;
}

function concat(pending: readonly number[], prompt: Int32Array): Int32Array {
  if (pending.length === 0) return prompt;
  const all = new Int32Array(pending.length + prompt.length);
  all.set(pending);
  all.set(prompt, pending.length);
  return all;
}

/**
 * ids[from…] as the plain array StreamState.pending is (a public type, which @charrnn/serve builds
 * on). A preallocated array and a loop: for the rest of a 1 MB prompt left by an abort, 3–7×
 * faster than Array.from (measured 22–83 ms against 150–240 ms under a load of 9 on 2 cores).
 */
function toArray(ids: Int32Array, from: number): number[] {
  const out = new Array<number>(ids.length - from);
  for (let i = from; i < ids.length; i++) out[i - from] = ids[i];
  return out;
}

/** Copies row `b` of a [L, B, H] batch state into a [L, 1, H] row state. */
export function scatterRow(batch: Float32Array, row: Float32Array, b: number, B: number, L: number, H: number): void {
  for (let l = 0; l < L; l++) row.set(batch.subarray((l * B + b) * H, (l * B + b + 1) * H), l * H);
}

/** Stacks per-row [L, 1, H] states into one [L, B, H] batch state. */
export function interleaveRows(states: readonly Float32Array[], L: number, H: number): Float32Array {
  const B = states.length;
  const out = new Float32Array(L * B * H);
  for (let l = 0; l < L; l++) for (let b = 0; b < B; b++) out.set(states[b].subarray(l * H, (l + 1) * H), (l * B + b) * H);
  return out;
}
