/**
 * Which execution provider ran each node, read from onnxruntime's profiling output (a JSON array
 * of trace events; a node's kernel event carries `args.provider` and `args.op_name`). A graph
 * asked to run on CUDA can still have nodes placed on the CPU when a kernel is missing, and
 * onnxruntime says nothing about it: this is how tools/gpu-check.sh proves where training ran.
 */
export interface Placement {
  /** Kernel runs per provider, e.g. { CUDAExecutionProvider: 1200 }. */
  runsByProvider: Record<string, number>;
  /** Operator types that ran on each provider. */
  opsByProvider: Record<string, string[]>;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  args?: { provider?: string; op_name?: string };
}

export class PlacementError extends Error {
  override name = 'PlacementError';
}

/** Counts kernel runs per provider in one or more profiling files' parsed contents. */
export function placementOf(profiles: readonly unknown[]): Placement {
  const runsByProvider: Record<string, number> = {};
  const ops: Record<string, Set<string>> = {};
  for (const profile of profiles) {
    if (!Array.isArray(profile)) throw new PlacementError('an onnxruntime profile is a JSON array of trace events; got something else');
    for (const e of profile as TraceEvent[]) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.provider) continue;
      const provider = e.args.provider;
      runsByProvider[provider] = (runsByProvider[provider] ?? 0) + 1;
      (ops[provider] ??= new Set()).add(e.args.op_name ?? '?');
    }
  }
  const opsByProvider = Object.fromEntries(Object.entries(ops).map(([p, s]) => [p, [...s].sort()]));
  return { runsByProvider, opsByProvider };
}

/** Throws PlacementError naming the operators that ran anywhere but `provider` (e.g. 'CUDAExecutionProvider'). */
export function requireProvider(placement: Placement, provider: string, what: string): void {
  const total = Object.values(placement.runsByProvider).reduce((a, b) => a + b, 0);
  if (total === 0) throw new PlacementError(`${what}: the profile holds no kernel runs, so where it ran cannot be shown`);
  const elsewhere = Object.entries(placement.opsByProvider).filter(([p]) => p !== provider);
  if (elsewhere.length > 0) {
    throw new PlacementError(
      `${what} did not run entirely on ${provider}: ${elsewhere.map(([p, ops]) => `${placement.runsByProvider[p]} kernel runs on ${p} (${ops.join(', ')})`).join('; ')}`,
    );
  }
}
