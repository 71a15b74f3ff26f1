// nx run infer-web:mutate: mutation testing of the modules where a silent bug costs most:
// the sampler and its logits processors, the stopping criteria and the generation loop.
import { strykerConfig } from '../../tools/stryker-config.mjs';

// Judged by the unit tests, which run the generator on a fake session: the onnxruntime tests
// (node, contract, fp16, priming against real models) took ~15 s per mutant.
export default strykerConfig('infer-web', ['core/sampler.ts', 'core/logits-processors.ts', 'core/stopping.ts', 'core/generator.ts'], {
  tests: ['core/sampler.test.ts', 'core/stopping.test.ts', 'core/generator.test.ts'],
});
