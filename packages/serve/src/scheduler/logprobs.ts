/**
 * Log-probabilities of characters for OpenAI's `logprobs`: from the model's raw distribution
 * (log-softmax of its logits, before temperature, penalties and truncation, as vLLM reports them
 * by default), the chosen character's and the `top` most likely ones'.
 */

export interface TokenLogprob {
  /** The character (token) as text. */
  token: string;
  logprob: number;
  /** The `top` most likely characters at this position, most likely first. */
  top: { token: string; logprob: number }[];
}

/** log Σ exp(x), stable for large logits. */
function logSumExp(logits: Float32Array, offset: number, length: number): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (logits[offset + i] > max) max = logits[offset + i];
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(logits[offset + i] - max);
  return max + Math.log(sum);
}

/** The log-probability of `id` under softmax(logits[offset … offset + length)), and the top `top`. */
export function tokenLogprob(logits: Float32Array, offset: number, length: number, id: number, top: number, decode: (id: number) => string): TokenLogprob {
  const lse = logSumExp(logits, offset, length);
  const best: { token: string; logprob: number }[] = [];
  if (top > 0) {
    const order = Array.from({ length }, (_, i) => i).sort((a, b) => logits[offset + b] - logits[offset + a] || a - b);
    for (const i of order.slice(0, top)) best.push({ token: decode(i), logprob: logits[offset + i] - lse });
  }
  return { token: decode(id), logprob: logits[offset + id] - lse, top: best };
}
