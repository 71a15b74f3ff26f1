// nx run infer-web:mutate: mutation testing of the modules where a silent bug costs most (issue 16).
import { strykerConfig } from '../../tools/stryker-config.mjs';

export default strykerConfig('infer-web', ['sampler.ts', 'logits-processors.ts', 'stopping.ts', 'generator.ts']);
