// nx run data:mutate: mutation testing of the modules where a silent bug costs most.
import { strykerConfig } from '../../tools/stryker-config.mjs';

export default strykerConfig('data', ['vocab.ts', 'loader.ts']);
