/**
 * Logits processors in the manner of transformers.js / Hugging Face: each one edits one row of
 * logits in place (masking with -Infinity, rescaling) and they compose by running in order; like
 * transformers.js' they see the ids the row has generated, so the penalties are processors too.
 * logitsProcessorsFor() builds the list a sampling configuration needs, in one place, for the
 * library, the element and the server. They allocate nothing per call once warm.
 */

export interface LogitsContext {
  /** Index of the token about to be sampled within this generate call (0-based). */
  step: number;
  /** Batch row (0 for generate). */
  row: number;
  /** The ids this row has generated in this call so far, oldest first (length = step). */
  generated: ArrayLike<number>;
}

/** What logitsProcessorsFor() builds from: GenerationOptions' sampling fields. */
export interface SamplingOptions {
  /** 0 = greedy: temperature, top-k, top-p and min-p then do nothing (the penalties still apply). */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 0 = off. */
  minP?: number;
  /** Subtracted once from the logit of every character already generated; 0 = off. */
  presencePenalty?: number;
  /** Subtracted from a character's logit per time it was generated; 0 = off. */
  frequencyPenalty?: number;
  /** Divides a generated character's positive logit (multiplies a negative one); 1 = off. */
  repetitionPenalty?: number;
  /** The caller's own processors, run after the suppressed tokens and before the penalties. */
  logitsProcessors?: readonly LogitsProcessor[];
  /** Token ids masked before everything else (the special tokens, by default). */
  suppressTokens?: readonly number[];
}

/**
 * The processors for `options`, in the order transformers.js and vLLM apply them: suppressed
 * tokens, the caller's processors, the penalties (which change argmax too), then, unless greedy,
 * temperature, top-k, top-p and min-p. Settings that change nothing add no processor.
 */
export function logitsProcessorsFor(options: SamplingOptions, vocabSize: number): LogitsProcessor[] {
  const processors: LogitsProcessor[] = [];
  const suppress = options.suppressTokens ?? [];
  if (suppress.length > 0) processors.push(new SuppressTokensProcessor(suppress));
  processors.push(...(options.logitsProcessors ?? []));
  const repetition = options.repetitionPenalty ?? 1;
  if (repetition !== 1) processors.push(new RepetitionPenaltyProcessor(repetition));
  const presence = options.presencePenalty ?? 0;
  const frequency = options.frequencyPenalty ?? 0;
  if (presence !== 0 || frequency !== 0) processors.push(new PresenceFrequencyPenaltyProcessor(presence, frequency));
  if (options.temperature !== 0) {
    if (options.temperature !== 1) processors.push(new TemperatureProcessor(options.temperature));
    if (options.topK > 0 && options.topK < vocabSize) processors.push(new TopKProcessor(options.topK));
    if (options.topP < 1) processors.push(new TopPProcessor(options.topP));
    const minP = options.minP ?? 0;
    if (minP > 0) processors.push(new MinPProcessor(minP));
  }
  return processors;
}

/**
 * How often each id occurs in a row's generated ids, kept per row and updated by the ids added
 * since the last call (O(1) a step instead of a recount); recounted if the ids got shorter.
 */
class GeneratedCounts {
  private readonly rows = new Map<number, { seen: number; counts: Map<number, number> }>();

  of(context: LogitsContext): ReadonlyMap<number, number> {
    const ids = context.generated;
    let entry = this.rows.get(context.row);
    if (entry === undefined || ids.length < entry.seen) {
      entry = { seen: 0, counts: new Map() };
      this.rows.set(context.row, entry);
    }
    for (let i = entry.seen; i < ids.length; i++) entry.counts.set(ids[i], (entry.counts.get(ids[i]) ?? 0) + 1);
    entry.seen = ids.length;
    return entry.counts;
  }
}

/**
 * CTRL's repetition penalty (Keskar et al., 2019; Hugging Face's RepetitionPenaltyLogitsProcessor):
 * a character already generated has its logit divided by `penalty` if positive and multiplied if
 * negative, so `penalty` > 1 makes it less likely. Only generated characters count: a prompt holds
 * most of a character vocabulary, so counting it would penalise nearly every character.
 */
export class RepetitionPenaltyProcessor implements LogitsProcessor {
  private readonly counts = new GeneratedCounts();
  constructor(readonly penalty: number) {}
  process(logits: Float32Array, context: LogitsContext): void {
    for (const id of this.counts.of(context).keys()) {
      const v = logits[id];
      logits[id] = v > 0 ? v / this.penalty : v * this.penalty;
    }
  }
}

/**
 * OpenAI's presence and frequency penalties: logit[j] -= presence · [c_j > 0] + frequency · c_j,
 * c_j = how often character j was generated so far. Positive values discourage repeats.
 */
export class PresenceFrequencyPenaltyProcessor implements LogitsProcessor {
  private readonly counts = new GeneratedCounts();
  constructor(
    readonly presence: number,
    readonly frequency: number,
  ) {}
  process(logits: Float32Array, context: LogitsContext): void {
    for (const [id, count] of this.counts.of(context)) logits[id] -= this.presence + this.frequency * count;
  }
}

/**
 * min-p sampling (Nguyen et al., 2024): keeps the characters whose probability is at least
 * `minP` times the most likely one's, i.e. whose logit is at least max + ln(minP).
 */
export class MinPProcessor implements LogitsProcessor {
  constructor(readonly minP: number) {}
  process(logits: Float32Array): void {
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
    const threshold = max + Math.log(this.minP);
    for (let i = 0; i < logits.length; i++) if (logits[i] < threshold) logits[i] = -Infinity;
  }
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

/**
 * Divides logits by T: T < 1 sharpens the distribution, T > 1 flattens it. The row's maximum is
 * subtracted first (the softmax is the same), so every logit becomes ≤ 0 and no T > 0 overflows:
 * divided as they are, logits of ~10 reach float32's 3.4e38 below T ≈ 3e-38 and the row turns to
 * Infinity and NaN. A tiny T thus gives the greedy choice, as its limit should: the maximum stays
 * 0 and the rest go to -Infinity.
 */
export class TemperatureProcessor implements LogitsProcessor {
  constructor(readonly temperature: number) {}
  process(logits: Float32Array): void {
    if (this.temperature === 1) return;
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
    if (!Number.isFinite(max)) return; // every token masked (or NaN): nothing to rescale
    // Division, not multiplication by 1 / T: 1 / T is Infinity for T < 5.6e-309, and 0 · Infinity is NaN.
    for (let i = 0; i < logits.length; i++) logits[i] = (logits[i] - max) / this.temperature;
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
