/**
 * Logits processors in the manner of transformers.js / Hugging Face: each one edits one row of
 * logits in place (masking with -Infinity, rescaling) and they compose by running in order.
 * They allocate nothing per call: the scratch buffers are made once per vocabulary size.
 */

export interface LogitsContext {
  /** Index of the token about to be sampled within this generate call (0-based). */
  step: number;
  /** Batch row (0 for generate). */
  row: number;
}

export interface LogitsProcessor {
  /** Edits `logits` (one row, length = vocab size) in place. */
  process(logits: Float32Array, context: LogitsContext): void;
}

/** Masks the given token ids (HF's SuppressTokensLogitsProcessor): they can never be chosen. */
export class SuppressTokensProcessor implements LogitsProcessor {
  constructor(readonly ids: readonly number[]) {}
  process(logits: Float32Array): void {
    for (const id of this.ids) logits[id] = -Infinity;
  }
}

/** Divides logits by T: T < 1 sharpens the distribution, T > 1 flattens it. */
export class TemperatureProcessor implements LogitsProcessor {
  constructor(readonly temperature: number) {}
  process(logits: Float32Array): void {
    if (this.temperature === 1) return;
    const inv = 1 / this.temperature;
    for (let i = 0; i < logits.length; i++) logits[i] *= inv;
  }
}

/** Keeps the k highest logits (ties with the k-th are kept too) and masks the rest. */
export class TopKProcessor implements LogitsProcessor {
  private readonly best: Float32Array;
  constructor(readonly k: number) {
    this.best = new Float32Array(k);
  }
  process(logits: Float32Array): void {
    const k = this.k;
    if (k >= logits.length) return;
    // The k largest values in descending order by insertion: O(V·k), no sort, no allocation.
    const best = this.best;
    best.fill(-Infinity);
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i];
      if (!(v > best[k - 1])) continue;
      let j = k - 1;
      while (j > 0 && best[j - 1] < v) {
        best[j] = best[j - 1];
        j--;
      }
      best[j] = v;
    }
    const threshold = best[k - 1];
    for (let i = 0; i < logits.length; i++) if (logits[i] < threshold) logits[i] = -Infinity;
  }
}

/**
 * Nucleus sampling (Holtzman et al., 2019): keeps the smallest set of most likely tokens whose
 * probabilities sum to at least p, and masks the rest.
 */
export class TopPProcessor implements LogitsProcessor {
  private order: Int32Array = new Int32Array(0);
  private current: Float32Array = new Float32Array(0);
  private readonly byLogitDesc = (a: number, b: number): number => this.current[b] - this.current[a] || a - b;

  constructor(readonly p: number) {}

  process(logits: Float32Array): void {
    if (this.p >= 1) return;
    const n = logits.length;
    if (this.order.length !== n) this.order = new Int32Array(n);
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    this.current = logits;
    order.sort(this.byLogitDesc);
    const max = logits[order[0]];
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.exp(logits[i] - max);
    let cumulative = 0;
    let keep = 0;
    while (keep < n) {
      cumulative += Math.exp(logits[order[keep]] - max) / total;
      keep++;
      if (cumulative >= this.p) break;
    }
    for (let i = keep; i < n; i++) logits[order[i]] = -Infinity;
  }
}
