/**
 * The load test: the real CLI (`dist/cli/start.js`) in a child process on 127.0.0.1, driven by
 * 1, 8 and 64 concurrent streaming clients in this process for a fixed time each, beside
 * in-process batch-1 generation with infer-web on the same model in the same run. Reports
 * aggregate characters/s, per-character latency, errors and the server's RSS. Bounded: each
 * phase stops at its deadline, each client at `maxRequests`, and the server is always stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharGenerator } from '@charrnn/infer-web/node';
import { runClient, type ClientStats } from './sse-client.js';

export interface LoadTestOptions {
  /** ONNX bytes to serve. */
  model: Uint8Array;
  /** Concurrency levels, one phase each. */
  concurrency: readonly number[];
  /** Seconds per phase. */
  seconds: number;
  /** max_tokens per request. */
  maxTokens: number;
  /** The server's --flush-interval-ms. */
  flushIntervalMs: number;
  /** The server's --large-run-threads (undefined: its default). */
  largeRunThreads?: number;
  /** Seconds of the soak phase after the others (0 = none). */
  soakSeconds?: number;
  /** Clients in the soak phase. */
  soakClients?: number;
  /** Share of the soak's requests that their client cuts after the first text (0 to 1). */
  disconnectShare?: number;
  onProgress?: (line: string) => void;
}

export interface PhaseReport {
  clients: number;
  seconds: number;
  requests: number;
  completed: number;
  errors: number;
  error_samples: string[];
  chars_per_s: number;
  /** Characters per SSE chunk, on average. */
  chars_per_chunk: number;
  char_latency_ms: { p50: number; p99: number };
  first_char_ms: { p50: number; p99: number };
  server_rss_mb: number;
}

export interface SoakReport {
  clients: number;
  seconds: number;
  requests: number;
  completed: number;
  /** Requests the clients cut themselves (the disconnect share): not errors. */
  disconnected: number;
  errors: number;
  error_samples: string[];
  chars_per_s: number;
  /** The server's RSS over the soak: [seconds since its start, MB]. */
  rss_mb: [number, number][];
  /** Least-squares slope of the RSS over the soak's second half, MB per minute (flat ≈ 0). */
  rss_slope_mb_per_min: number;
  /** The server's active streams once the soak's clients are gone (0: every cut stream was freed). */
  active_streams_after: number;
}

export interface LoadTestReport {
  loadavg_1m: [number, number];
  max_tokens: number;
  flush_interval_ms: number;
  large_run_threads: number | 'default';
  inprocess_batch1_chars_per_s: number;
  inprocess_batch1_runs: number[];
  phases: PhaseReport[];
  server_rss_mb: { start: number; end: number };
  soak?: SoakReport;
  ratios: { streams64_vs_1: number | null; http1_vs_inprocess_batch1: number | null };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../dist/cli/start.js');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

/** The server's resident set size from /proc (Linux), in MB. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 102.4) / 10;
}

async function startServer(modelFile: string, options: LoadTestOptions): Promise<{ child: ChildProcess; url: string }> {
  const args = [CLI, '--model', `lesson=${modelFile}`, '--host', '127.0.0.1', '--port', '0', '--backend', 'cpu'];
  args.push('--flush-interval-ms', String(options.flushIntervalMs), '--max-tokens', String(options.maxTokens));
  if (options.largeRunThreads !== undefined) args.push('--large-run-threads', String(options.largeRunThreads));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const look = (d: Buffer): void => {
      out += d.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { child, url };
}

/** In-process batch-1 chars/s with infer-web (the figure a server stream is compared with). */
async function inProcessBatch1(model: Uint8Array, chars: number, windows: number): Promise<number[]> {
  const generator = await CharGenerator.load(model, { backend: 'cpu', seed: 1 });
  const rates: number[] = [];
  await generator.generate('the ', { maxNewTokens: 2000, seed: 1 }); // warm-up
  for (let w = 0; w < windows; w++) {
    generator.reset();
    const t0 = performance.now();
    await generator.generate('the ', { maxNewTokens: chars, seed: w });
    rates.push(Math.round((chars * 1000) / (performance.now() - t0)));
  }
  await generator.release();
  return rates;
}

const PROMPTS = ['the ', 'what is ', 'we ', 'in the beginning ', 'and so ', 'a '];

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * The soak: `clients` streaming clients for `seconds`, a share of whose requests are cut by their
 * client after the first text, with the server's RSS sampled ~30 times.
 */
async function soak(url: string, pid: number, options: LoadTestOptions): Promise<SoakReport> {
  const clients = options.soakClients ?? 64;
  const seconds = options.soakSeconds ?? 0;
  const share = options.disconnectShare ?? 0.1;
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const rss: [number, number][] = [[0, rssMb(pid)]];
  const sampler = setInterval(() => rss.push([Math.round((performance.now() - start) / 100) / 10, rssMb(pid)]), Math.max(500, (seconds * 1000) / 30));
  // Which requests are cut: a fixed pattern (every request whose index hashes below the share), so runs compare.
  const cut = (c: number, i: number): boolean => ((c * 7919 + i * 104_729) % 1000) / 1000 < share;
  const all = await Promise.all(
    Array.from({ length: clients }, (_, c) =>
      runClient({
        url,
        agent,
        deadline,
        hardStop: deadline,
        maxRequests: 100_000,
        maxTokens: options.maxTokens,
        prompt: (i) => PROMPTS[(c + i) % PROMPTS.length],
        seed: (i) => c * 100_000 + i,
        disconnect: (i) => cut(c, i),
      }),
    ),
  );
  clearInterval(sampler);
  agent.destroy();
  rss.push([Math.round((performance.now() - start) / 100) / 10, rssMb(pid)]);
  const errors = all.flatMap((s) => s.errors);
  // Streams cut by a client (or by the hard stop) leave at the server's next step: wait up to 5 s for that.
  const active = async (): Promise<number> => ((await (await fetch(`${url}/health`)).json()) as { models: { active_streams: number }[] }).models.reduce((n, m) => n + m.active_streams, 0);
  let activeAfter = await active();
  for (let waited = 0; activeAfter > 0 && waited < 5000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    activeAfter = await active();
  }
  return {
    clients,
    seconds,
    requests: all.reduce((n, s) => n + s.requests, 0),
    completed: all.reduce((n, s) => n + s.completed, 0),
    disconnected: all.reduce((n, s) => n + s.disconnected, 0),
    errors: errors.length,
    error_samples: [...new Set(errors)].slice(0, 5),
    chars_per_s: Math.round(all.reduce((n, s) => n + s.chars, 0) / seconds),
    rss_mb: rss,
    rss_slope_mb_per_min: Math.round(slope(rss.slice(Math.floor(rss.length / 2))) * 60 * 100) / 100,
    active_streams_after: activeAfter,
  };
}

async function phase(url: string, pid: number, clients: number, options: LoadTestOptions): Promise<PhaseReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  const all: ClientStats[] = await Promise.all(
    Array.from({ length: clients }, (_, c) =>
      runClient({
        url,
        agent,
        deadline,
        hardStop: deadline,
        maxRequests: 10_000,
        maxTokens: options.maxTokens,
        prompt: (i) => PROMPTS[(c + i) % PROMPTS.length],
        seed: (i) => c * 100_000 + i,
      }),
    ),
  );
  agent.destroy();
  const elapsed = (Math.min(performance.now(), deadline) - start) / 1000;
  const latencies = all.flatMap((s) => s.charLatencies).sort((a, b) => a - b);
  const first = all.flatMap((s) => s.firstChar).sort((a, b) => a - b);
  const chars = all.reduce((n, s) => n + s.chars, 0);
  const chunks = all.reduce((n, s) => n + s.chunks, 0);
  const errors = all.flatMap((s) => s.errors);
  return {
    clients,
    seconds: Math.round(elapsed * 100) / 100,
    requests: all.reduce((n, s) => n + s.requests, 0),
    completed: all.reduce((n, s) => n + s.completed, 0),
    errors: errors.length,
    error_samples: [...new Set(errors)].slice(0, 5),
    chars_per_s: Math.round(chars / elapsed),
    chars_per_chunk: Math.round((chars / Math.max(1, chunks)) * 10) / 10,
    char_latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    first_char_ms: { p50: percentile(first, 50), p99: percentile(first, 99) },
    server_rss_mb: rssMb(pid),
  };
}

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestReport> {
  const say = options.onProgress ?? (() => undefined);
  const load0 = loadavg()[0];
  const dir = await mkdtemp(path.join(tmpdir(), 'charrnn-loadtest-'));
  const modelFile = path.join(dir, 'model.onnx');
  await writeFile(modelFile, options.model);
  const { child, url } = await startServer(modelFile, options);
  try {
    say(`server ${url} (pid ${child.pid})`);
    const pid = child.pid!;
    // Warm the server (session creation, both onnxruntime sessions, JIT) before measuring.
    await phase(url, pid, 8, { ...options, seconds: Math.min(2, options.seconds) });
    const rssStart = rssMb(pid);
    const before = await inProcessBatch1(options.model, 20_000, 3);
    say(`in-process batch-1: ${before.join(', ')} chars/s`);
    const phases: PhaseReport[] = [];
    for (const clients of options.concurrency) {
      const report = await phase(url, pid, clients, options);
      say(`${clients} clients: ${report.chars_per_s} chars/s, per-char p50 ${report.char_latency_ms.p50} ms p99 ${report.char_latency_ms.p99} ms, ${report.errors} errors`);
      phases.push(report);
    }
    let soakReport: SoakReport | undefined;
    if ((options.soakSeconds ?? 0) > 0) {
      soakReport = await soak(url, pid, options);
      say(`soak: ${soakReport.clients} clients, ${soakReport.disconnected} cut by their client, ${soakReport.errors} errors, RSS ${soakReport.rss_mb[0][1]} → ${soakReport.rss_mb.at(-1)![1]} MB (${soakReport.rss_slope_mb_per_min} MB/min over the second half)`);
    }
    const after = await inProcessBatch1(options.model, 20_000, 3);
    say(`in-process batch-1 again: ${after.join(', ')} chars/s`);
    const runs = [...before, ...after].sort((a, b) => a - b);
    const batch1 = runs[Math.floor(runs.length / 2)];
    const rate = (clients: number): number | undefined => phases.find((p) => p.clients === clients)?.chars_per_s;
    const ratio = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : Math.round((a / b) * 100) / 100);
    return {
      loadavg_1m: [Math.round(load0 * 100) / 100, Math.round(loadavg()[0] * 100) / 100],
      max_tokens: options.maxTokens,
      flush_interval_ms: options.flushIntervalMs,
      large_run_threads: options.largeRunThreads ?? 'default',
      inprocess_batch1_chars_per_s: batch1,
      inprocess_batch1_runs: [...before, ...after],
      phases,
      server_rss_mb: { start: rssStart, end: rssMb(pid) },
      ratios: { streams64_vs_1: ratio(rate(64), rate(1)), http1_vs_inprocess_batch1: ratio(rate(1), batch1) },
      ...(soakReport === undefined ? {} : { soak: soakReport }),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
