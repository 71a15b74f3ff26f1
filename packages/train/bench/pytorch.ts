import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpuFlags, openblasCoreFor, parseAnchor, type TorchAnchor } from './anchor.js';

export interface PytorchRun {
  python: string;
  script: string;
  corpus: string;
  arch: 'rnn' | 'gru' | 'lstm';
  embed: number;
  hidden: number;
  layers: number;
  batchSize: number;
  bptt: number;
  maxBatches: number;
  threads: number;
}

export interface PytorchResult {
  /** Training chars/s the reference script printed for its (single, truncated) epoch. */
  charsPerSecond: number;
  /** Training chars per second of its CPU time, when the script prints it (tools/pytorch-reference/lesson.py does). */
  charsPerCpuSecond: number | null;
  /** The epoch line as printed. */
  line: string;
  /** What it multiplied with, from the script's `anchor` line (null when it printed none). */
  anchor: TorchAnchor | null;
}

export class PytorchError extends Error {
  override name = 'PytorchError';
}

/** Whether the reference can run here: the interpreter and the script exist. */
export function pytorchAvailable(python: string, script: string): boolean {
  return existsSync(python) && existsSync(script);
}

/** Pulls `train_chars_per_s N` (and `train_chars_per_cpu_s N`) out of the reference script's epoch line, and its anchor line. */
export function parsePytorchOutput(stdout: string): PytorchResult {
  const line = stdout.split('\n').find((l) => /train_chars_per_s\s+\d/.test(l));
  const m = line?.match(/train_chars_per_s\s+(\d+(?:\.\d+)?)/);
  if (!line || !m) throw new PytorchError(`the PyTorch reference printed no "train_chars_per_s N" line; its output was: ${stdout.slice(-500)}`);
  const cpu = line.match(/train_chars_per_cpu_s\s+(\d+(?:\.\d+)?)/);
  return { charsPerSecond: Number(m[1]), charsPerCpuSecond: cpu ? Number(cpu[1]) : null, line: line.trim(), anchor: parseAnchor(stdout) };
}

/**
 * Runs the PyTorch reference (tools/pytorch-reference/lesson.py with Debian's python3-torch, a
 * measuring tool outside the packages) for one truncated epoch of the same config, without its
 * validation pass.
 */
export function runPytorch(run: PytorchRun): Promise<PytorchResult> {
  const args = [
    run.script,
    run.corpus,
    '--arch', run.arch,
    '--embed', String(run.embed),
    '--hidden', String(run.hidden),
    '--layers', String(run.layers),
    '--bs', String(run.batchSize),
    '--bptt', String(run.bptt),
    '--max-batches', String(run.maxBatches),
    '--threads', String(run.threads),
    '--no-valid',
  ];
  return new Promise((resolve, reject) => {
    // Debian's torch does its matrix products in OpenBLAS, whose thread pool torch.set_num_threads
    // does not size: left alone it starts one thread per core beside torch's own, and at 2 threads
    // their busy-waiting pools fight (measured: RNN 13.6k chars/s, 53.8k with a passive OpenMP wait).
    // So N threads means N in both pools, and OpenMP's idle threads sleep: PyTorch at its best here.
    // The script reports back what it saw (anchor.ts checks it).
    const n = String(run.threads);
    // OpenBLAS 0.3.21 does not recognise newer Xeons and falls back to SSE kernels (Prescott): name the CPU's class, unless given.
    const core = process.env.OPENBLAS_CORETYPE ?? openblasCoreFor(cpuFlags());
    const env = { ...process.env, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, OMP_WAIT_POLICY: 'PASSIVE', ...(core ? { OPENBLAS_CORETYPE: core } : {}) };
    const child = spawn(run.python, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new PytorchError(`could not start ${run.python}: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new PytorchError(`${run.python} ${args.join(' ')} exited with ${code}: ${stderr.slice(-500)}`));
      try {
        resolve(parsePytorchOutput(stdout));
      } catch (e) {
        reject(e as PytorchError); // parsePytorchOutput throws nothing else
      }
    });
  });
}
