// The anchor check against what lesson.py printed on this project's machine: Debian's torch with
// OpenBLAS sized by the bench, the same torch with Debian's reference BLAS put first on
// LD_LIBRARY_PATH, and the same torch with OpenBLAS left unsized.
import { AnchorError, anchorProblems, blasKind, floorFor, floorProblem, parseAnchor, openblasCoreFor } from './anchor.js';

const sized =
  'anchor {"torch": "1.13.0a0", "blas_info": "generic", "blas": "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "libraries": ["/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"], "blas_threads": 1, "torch_threads": 1, "env": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "MKL_NUM_THREADS": null}}';
// OpenBLAS is still mapped (liblapack.so.3 needs it), but torch's BLAS calls go to libblas.so.3.
const reference =
  'anchor {"torch": "1.13.0a0", "blas_info": "generic", "blas": "/tmp/refblas/root/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", "libraries": ["/tmp/refblas/root/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", "/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"], "blas_threads": 1, "torch_threads": 1, "env": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "MKL_NUM_THREADS": null}}';
const unsized =
  'anchor {"torch": "1.13.0a0", "blas_info": "generic", "blas": "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "libraries": [], "blas_threads": 2, "torch_threads": 1, "env": {"OPENBLAS_NUM_THREADS": null, "OMP_NUM_THREADS": null, "OMP_WAIT_POLICY": null, "MKL_NUM_THREADS": null}}';

describe('the PyTorch anchor', () => {
  test('parseAnchor reads lesson.py’s line among the others; none is null; a broken one is an error', () => {
    expect(parseAnchor(`vocab 55 train tokens 1\n${sized}\nepoch 0 trn_loss 2.5\n`)).toEqual({
      torch: '1.13.0a0',
      blasInfo: 'generic',
      blas: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
      libraries: ['/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3', '/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3', '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so'],
      blasThreads: 1,
      blasCore: null, // a line from before lesson.py reported the core
      torchThreads: 1,
      env: { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE', MKL_NUM_THREADS: null },
    });
    expect(parseAnchor('epoch 0 trn_loss 2.5\n')).toBeNull();
    expect(() => parseAnchor('anchor {"torch": \n')).toThrow(AnchorError);
  });

  test('blasKind goes by the library torch calls, not by what else is mapped; a static MKL by BLAS_INFO', () => {
    expect(blasKind(parseAnchor(sized)!)).toBe('OpenBLAS');
    expect(blasKind(parseAnchor(reference)!)).toBe('reference BLAS');
    expect(blasKind({ blas: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', blasInfo: 'generic' })).toBe('reference BLAS');
    expect(blasKind({ blas: null, blasInfo: 'mkl' })).toBe('MKL');
    expect(blasKind({ blas: '/opt/intel/lib/libmkl_rt.so.2', blasInfo: 'mkl' })).toBe('MKL');
    expect(blasKind({ blas: null, blasInfo: 'generic' })).toBe('unknown');
    expect(blasKind({ blas: '/usr/lib/libsomething.so', blasInfo: null })).toBe('unknown');
  });

  test('anchorProblems: none for the sized OpenBLAS run; the reference BLAS and every unsized pool named', () => {
    expect(anchorProblems(parseAnchor(sized), 1)).toEqual([]);
    expect(anchorProblems(parseAnchor(reference), 1)).toEqual([
      'PyTorch multiplies with the reference BLAS (/tmp/refblas/root/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0), 5–6× slower than OpenBLAS on the lesson GRU here: on Debian install libopenblas0-pthread, which points libblas.so.3 at OpenBLAS',
    ]);
    expect(anchorProblems(parseAnchor(unsized), 1)).toEqual([
      'OPENBLAS_NUM_THREADS is unset in PyTorch\'s process, expected 1',
      'OMP_NUM_THREADS is unset in PyTorch\'s process, expected 1',
      'OMP_WAIT_POLICY is unset in PyTorch\'s process, expected PASSIVE',
      'OpenBLAS runs 2 threads, expected 1',
    ]);
    // The same sized run does not pass for 2 threads.
    expect(anchorProblems(parseAnchor(sized), 2)).toHaveLength(4);
    expect(anchorProblems(null, 1)).toEqual([expect.stringMatching(/^the reference script printed no `anchor \{…\}` line/)]);
  });

  test('the floor: known for AVX-512 CPUs only; between the reference BLAS and a sound OpenBLAS as measured here', () => {
    const floor = floorFor(['fpu', 'sse4_2', 'avx2', 'avx512f'])!;
    expect(floor.cpuClass).toBe('x86-64 with AVX-512');
    expect(floorFor(['fpu', 'sse4_2', 'avx2'])).toBeNull();
    expect(floorFor([])).toBeNull();
    // Measured with lesson.py, lesson GRU at 1 thread, chars per CPU-second: reference BLAS 3.9k,
    // the withdrawn README figures' PyTorch 9.4k–13.7k (its three rounds), OpenBLAS 22k at load 10 and 52k quiet.
    for (const crippled of [3904, 9420, 12352, 13741]) expect(floorProblem(crippled, floor)).toMatch(/^PyTorch trained the lesson GRU at [\d,]+ chars per CPU-second on 1 thread, under the floor of 15,000 for x86-64 with AVX-512/);
    for (const sound of [21981, 52000]) expect(floorProblem(sound, floor)).toBeNull();
    expect(floorProblem(null, floor)).toBe('the floor run printed no train_chars_per_cpu_s');
  });
});

describe("OpenBLAS's kernels", () => {
  const withCore = (core: string | null) => parseAnchor(sized.replace('"blas_threads": 1,', `"blas_threads": 1, "blas_core": ${JSON.stringify(core)},`));

  test('SSE-only kernels (what OpenBLAS 0.3.21 falls back to on a CPU it does not know) are refused, naming the fix; AVX ones pass', () => {
    expect(withCore("Prescott")!.blasCore).toBe('Prescott');
    expect(anchorProblems(withCore('Prescott'), 1)).toEqual([expect.stringMatching(/^OpenBLAS runs its Prescott kernels \(SSE only: .*set OPENBLAS_CORETYPE \(SkylakeX for AVX-512, Haswell for AVX2\)/)]);
    for (const core of ['SkylakeX', 'Haswell', 'Cooperlake', null]) expect(anchorProblems(withCore(core), 1)).toEqual([]);
  });

  test('the core the bench names for a CPU', () => {
    expect(openblasCoreFor(['sse4_2', 'avx2', 'fma', 'avx512f'])).toBe('SkylakeX');
    expect(openblasCoreFor(['sse4_2', 'avx2', 'fma'])).toBe('Haswell');
    expect(openblasCoreFor(['sse4_2'])).toBeUndefined();
  });
});
