/**
 * What a very long prompt costs (measured, never asserted in tests): priming time, the process'
 * peak RSS, the longest gap between event-loop timer ticks while priming, and how long an abort
 * takes to end a priming that is under way. README "Long prompts" quotes its output.
 */
import { loadavg } from 'node:os';
import { CharGenerator as WebCharGenerator, PRIME_CHUNK_CHARS, type CoreCharGenerator } from '@charrnn/infer-web';
import { CharGenerator } from '@charrnn/infer-web/node';

export interface LongPromptOptions {
  /** Prompt length in characters. Default 1,000,000. */
  chars?: number;
  /** 'node' (onnxruntime-node, CPU) or 'wasm' (onnxruntime-web in Node, 1 thread). Default 'node'. */
  runtime?: 'node' | 'wasm';
  /** onnxruntime-node: intra-op threads of the large-run session that primes (default: the Node entry's, min(2, CPUs)). */
  largeRunThreads?: number;
  /** An abort is fired this many ms after each of these primings starts. Default [100, 1000, 3000]. */
  abortAfterMs?: readonly number[];
  onProgress?: (line: string) => void;
}

export interface LongPromptReport {
  runtime: string;
  backend: string;
  large_run_threads: number | 'default';
  graph: string;
  prompt_chars: number;
  prime_chunk_chars: number;
  prime_seconds: number;
  prime_chars_per_s: number;
  /** Resident set size in MB: after loading, and the process' peak (getrusage maxrss) before and after priming. */
  rss_mb_after_load: number;
  peak_rss_mb_before_priming: number;
  peak_rss_mb_after_priming: number;
  /** Intervals between ticks of a 5 ms timer while priming (median, 99th percentile, longest): how long the event loop was blocked. */
  event_loop_gap_ms: { p50: number; p99: number; max: number };
  /** For each abort: when it was due, and how long after that generate() had ended (finishReason 'abort' unless priming ended first). */
  aborts: { after_ms: number; latency_ms: number; finish_reason: string }[];
  /** 1-minute load average before / after: the machine is shared, so figures move with it. */
  loadavg_1m: [number, number];
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
const peakRssMb = (): number => mb(process.resourceUsage().maxRSS * 1024);

/** A prompt of `n` characters drawn from the model's single-character tokens. */
function promptOf(gen: CoreCharGenerator, n: number): string {
  const chars = gen.info.vocab.filter((t) => [...t].length === 1);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(chars[(i * 7919) % chars.length]);
  return parts.join('');
}

export async function runLongPromptBenchmark(model: Uint8Array, options: LongPromptOptions = {}): Promise<LongPromptReport> {
  const chars = options.chars ?? 1_000_000;
  const runtime = options.runtime ?? 'node';
  const say = options.onProgress ?? (() => undefined);
  const loadBefore = loadavg()[0];
  const gen =
    runtime === 'node'
      ? await CharGenerator.load(model, { backend: 'cpu', seed: 1, largeRunIntraOpNumThreads: options.largeRunThreads })
      : await WebCharGenerator.load(model, { backend: 'wasm', numThreads: 1, seed: 1 });
  const prompt = promptOf(gen, chars);
  const rssAfterLoad = mb(process.memoryUsage().rss);
  const peakBefore = peakRssMb();

  let lastTick = performance.now();
  const gaps: number[] = [];
  const ticker = setInterval(() => {
    const now = performance.now();
    gaps.push(now - lastTick);
    lastTick = now;
  }, 5);
  const started = performance.now();
  await gen.generate(prompt, { maxNewTokens: 0 });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(ticker);
  gaps.push(performance.now() - lastTick); // the wait since the last tick (all of priming if none came)
  const peakAfter = peakRssMb();
  gaps.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] ?? Number.NaN) * 10) / 10;
  const gap = { p50: at(0.5), p99: at(0.99), max: at(1) };
  say(`primed ${chars} chars in ${seconds.toFixed(2)} s; peak RSS ${peakAfter} MB; event-loop gaps p50 ${gap.p50} ms, p99 ${gap.p99} ms, max ${gap.max} ms`);

  const aborts: LongPromptReport['aborts'] = [];
  for (const after of options.abortAfterMs ?? [100, 1000, 3000]) {
    gen.reset();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), after);
    const due = performance.now() + after;
    const result = await gen.generate(prompt, { maxNewTokens: 0, signal: controller.signal }).result();
    clearTimeout(timer);
    // From when the abort was due: a timer held up by a blocked event loop counts as latency.
    const latency = performance.now() - due;
    aborts.push({ after_ms: after, latency_ms: Math.round(latency * 10) / 10, finish_reason: result.finishReason });
    say(`abort fired ${after} ms into priming: ended ${latency.toFixed(1)} ms later (${result.finishReason})`);
  }
  const report: LongPromptReport = {
    runtime: runtime === 'node' ? 'onnxruntime-node' : 'onnxruntime-web',
    backend: gen.backend,
    large_run_threads: options.largeRunThreads ?? 'default',
    graph: gen.info.graph,
    prompt_chars: chars,
    prime_chunk_chars: PRIME_CHUNK_CHARS,
    prime_seconds: Math.round(seconds * 100) / 100,
    prime_chars_per_s: Math.round(chars / seconds),
    rss_mb_after_load: rssAfterLoad,
    peak_rss_mb_before_priming: peakBefore,
    peak_rss_mb_after_priming: peakAfter,
    event_loop_gap_ms: gap,
    aborts,
    loadavg_1m: [Math.round(loadBefore * 100) / 100, Math.round(loadavg()[0] * 100) / 100],
  };
  await gen.release();
  return report;
}
