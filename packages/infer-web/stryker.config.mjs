// nx run infer-web:mutate: mutation testing of the modules where a silent bug costs most (issue 16).
// generator.ts (the generation loop, 400 lines, ~390 more mutants) is left for a later run: the
// three modules below took the time there was on two shared cores.
import { strykerConfig } from '../../tools/stryker-config.mjs';

// Judged by the unit tests, which run the generator on a fake session: the onnxruntime tests
// (node, contract, fp16, priming against real models) took ~15 s per mutant.
export default strykerConfig('infer-web', ['sampler.ts', 'logits-processors.ts', 'stopping.ts'], { tests: ['sampler.test.ts', 'stopping.test.ts', 'generator.test.ts'] });
