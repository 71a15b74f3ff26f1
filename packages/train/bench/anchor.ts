import { readFileSync } from 'node:fs';
// Whether the PyTorch reference is a fair anchor for a ratio: what it multiplies with, how its
// thread pools are sized, and how fast it trains the lesson GRU on this CPU class. A figure that
// cites PyTorch is only as honest as this check: README figures were once measured against a
// PyTorch that ran at a fifth of its speed, and nothing noticed.

/** What one PyTorch run multiplied with, as tools/pytorch-reference/lesson.py prints it (`anchor {json}`). */
export interface TorchAnchor {
  torch: string;
  /** torch.__config__'s BLAS_INFO ("generic" for Debian's torch, "mkl" for a wheel's). */
  blasInfo: string | null;
  /** The library torch's BLAS calls go to (a real path from /proc/self/maps), or null when none is mapped. */
  blas: string | null;
  /** Every BLAS/LAPACK library mapped into the process. */
  libraries: string[];
  /** The thread count the BLAS library itself reports (openblas_get_num_threads), when it can be asked. */
  blasThreads: number | null;
  /** The kernels OpenBLAS runs (openblas_get_corename: "SkylakeX", "Haswell", "Prescott" …), when it can be asked. */
  blasCore: string | null;
  torchThreads: number;
  /** The thread settings the process was started with (null = unset). */
  env: Record<string, string | null>;
}

export type BlasKind = 'OpenBLAS' | 'MKL' | 'BLIS' | 'reference BLAS' | 'unknown';

/** The lesson GRU of the fast.ai lesson, the config the floor is measured on (embedded corpus, vocab 55). */
export const LESSON_GRU = { arch: 'gru', embed: 42, hidden: 256, layers: 1, batchSize: 64, bptt: 8 } as const;
/** Batches of the floor run: after the first few (allocation), chars per CPU-second settles. */
export const FLOOR_BATCHES = 200;

export interface Floor {
  /** The CPU class the floor holds for. */
  cpuClass: string;
  /** PyTorch's lesson-GRU training chars per CPU-second at 1 thread below which it is not a fair anchor. */
  charsPerCpuSecond: number;
  /** Where the figure comes from. */
  source: string;
}

/**
 * Floors by CPU class, the first whose flag the CPU has. Measured with lesson.py (200 batches, 1
 * thread, OpenBLAS sized to 1, passive OpenMP wait) on the 2-vCPU Intel Xeon with AVX-512 this
 * project is developed on (2026-12-07): OpenBLAS 22–24k chars per CPU-second at load 6–10 (52k
 * reported on a quiet machine); Debian's reference BLAS (libblas3, through LD_LIBRARY_PATH) 3.9k
 * at that load; the crippled runs behind the withdrawn README figures 9.4k–13.7k. The floor sits below
 * every sound run and above every crippled one.
 */
export const FLOORS: readonly (Floor & { flag: string })[] = [
  {
    flag: 'avx512f',
    cpuClass: 'x86-64 with AVX-512',
    charsPerCpuSecond: 15_000,
    source: 'OpenBLAS 22k at load 10 and 52k reported quiet, the reference BLAS 3.9k, on a 2-vCPU Intel Xeon, 2026-12-07',
  },
];

export class AnchorError extends Error {
  override name = 'AnchorError';
}

/** The floor for a CPU with these /proc/cpuinfo flags, or null when none is known for its class. */
export function floorFor(flags: readonly string[]): Floor | null {
  const hit = FLOORS.find((f) => flags.includes(f.flag));
  return hit ? { cpuClass: hit.cpuClass, charsPerCpuSecond: hit.charsPerCpuSecond, source: hit.source } : null;
}

/** The `anchor {json}` line of the reference script's output, or null when it printed none. */
export function parseAnchor(stdout: string): TorchAnchor | null {
  const line = stdout.split('\n').find((l) => l.startsWith('anchor {'));
  if (!line) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line.slice('anchor '.length)) as Record<string, unknown>;
  } catch (e) {
    throw new AnchorError(`the PyTorch reference's anchor line is not JSON (${(e as Error).message}): ${line.slice(0, 200)}`);
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const env = (raw.env ?? {}) as Record<string, unknown>;
  return {
    torch: str(raw.torch) ?? 'unknown',
    blasInfo: str(raw.blas_info),
    blas: str(raw.blas),
    libraries: Array.isArray(raw.libraries) ? raw.libraries.filter((x): x is string => typeof x === 'string') : [],
    blasThreads: num(raw.blas_threads),
    blasCore: str(raw.blas_core),
    torchThreads: num(raw.torch_threads) ?? 0,
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, str(v)])),
  };
}

/** Which BLAS a run multiplied with: by the library's path, or by torch's build info when it links one statically. */
export function blasKind(anchor: Pick<TorchAnchor, 'blas' | 'blasInfo'>): BlasKind {
  const path = anchor.blas;
  if (path) {
    if (/openblas/i.test(path)) return 'OpenBLAS';
    if (/mkl/i.test(path)) return 'MKL';
    if (/blis/i.test(path)) return 'BLIS';
    // Netlib's libblas.so.3 (Debian's libblas3 installs it under blas/): loops in plain Fortran.
    if (/(^|\/)libblas\.so/.test(path)) return 'reference BLAS';
    return 'unknown';
  }
  if (anchor.blasInfo === 'mkl') return 'MKL';
  if (anchor.blasInfo === 'open' || anchor.blasInfo === 'openblas') return 'OpenBLAS';
  if (anchor.blasInfo === 'blis') return 'BLIS';
  return 'unknown';
}

/**
 * What makes one run at `threads` threads an unfair anchor; [] when it is sound. The bench starts
 * PyTorch with OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = threads and OMP_WAIT_POLICY=PASSIVE
 * (see pytorch.ts); the run must report that it saw them and that its pools are that size.
 */
export function anchorProblems(anchor: TorchAnchor | null, threads: number): string[] {
  if (!anchor) return ['the reference script printed no `anchor {…}` line, so what it multiplies with is unknown (tools/pytorch-reference/lesson.py prints one)'];
  const problems: string[] = [];
  const kind = blasKind(anchor);
  if (kind === 'reference BLAS') {
    problems.push(`PyTorch multiplies with the reference BLAS (${anchor.blas}), 5–6× slower than OpenBLAS on the lesson GRU here: on Debian install libopenblas0-pthread, which points libblas.so.3 at OpenBLAS`);
  } else if (kind === 'unknown') {
    problems.push(`PyTorch's BLAS is not one known to be fast (blas ${anchor.blas ?? 'none mapped'}, BLAS_INFO ${anchor.blasInfo ?? 'unknown'}; libraries: ${anchor.libraries.join(', ') || 'none'})`);
  }
  if (kind === 'OpenBLAS' && anchor.blasCore !== null && GENERIC_OPENBLAS_CORES.includes(anchor.blasCore.toLowerCase())) {
    problems.push(
      `OpenBLAS runs its ${anchor.blasCore} kernels (SSE only: it did not recognise this CPU), 4–5× slower matrix products than its AVX-512 ones here (43 against 204 GFLOP/s at 1 thread, measured): ` +
        'set OPENBLAS_CORETYPE (SkylakeX for AVX-512, Haswell for AVX2), as the bench does unless it is given',
    );
  }
  const want = String(threads);
  for (const name of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'] as const) {
    if (anchor.env[name] !== want) problems.push(`${name} is ${anchor.env[name] ?? 'unset'} in PyTorch's process, expected ${want}`);
  }
  if ((anchor.env.OMP_WAIT_POLICY ?? '').toUpperCase() !== 'PASSIVE') problems.push(`OMP_WAIT_POLICY is ${anchor.env.OMP_WAIT_POLICY ?? 'unset'} in PyTorch's process, expected PASSIVE`);
  if (anchor.torchThreads !== threads) problems.push(`torch runs ${anchor.torchThreads} threads, expected ${threads}`);
  if (anchor.blasThreads !== null && anchor.blasThreads !== threads) problems.push(`${kind} runs ${anchor.blasThreads} threads, expected ${threads}`);
  return problems;
}

/** The floor check of the lesson-GRU run at 1 thread; null when it passes. */
export function floorProblem(charsPerCpuSecond: number | null, floor: Floor): string | null {
  if (charsPerCpuSecond === null) return 'the floor run printed no train_chars_per_cpu_s';
  if (charsPerCpuSecond >= floor.charsPerCpuSecond) return null;
  return (
    `PyTorch trained the lesson GRU at ${Math.round(charsPerCpuSecond).toLocaleString('en-US')} chars per CPU-second on 1 thread, ` +
    `under the floor of ${floor.charsPerCpuSecond.toLocaleString('en-US')} for ${floor.cpuClass} (${floor.source})`
  );
}

/** OpenBLAS's pre-AVX kernels: what it falls back to on a CPU it does not know (0.3.21 on newer Xeons). */
export const GENERIC_OPENBLAS_CORES = ['prescott', 'katmai', 'coppermine', 'northwood', 'banias', 'core2', 'penryn', 'dunnington', 'nehalem', 'atom', 'athlon', 'opteron', 'barcelona'];

/** The OPENBLAS_CORETYPE for a CPU with these /proc/cpuinfo flags: SkylakeX (AVX-512), Haswell (AVX2), else none (OpenBLAS decides). */
export function openblasCoreFor(flags: readonly string[]): string | undefined {
  if (flags.includes('avx512f')) return 'SkylakeX';
  if (flags.includes('avx2') && flags.includes('fma')) return 'Haswell';
  return undefined;
}

/** The CPU's feature flags (/proc/cpuinfo), [] where there is none. */
export function cpuFlags(): string[] {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    return line ? line.slice(line.indexOf(':') + 1).trim().split(/\s+/) : [];
  } catch {
    return [];
  }
}
