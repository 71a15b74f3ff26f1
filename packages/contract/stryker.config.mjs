// nx run contract:mutate: mutation testing of the modules where a silent bug costs most.
import { strykerConfig } from '../../tools/stryker-config.mjs';

export default strykerConfig('contract', ['validate.ts', 'metadata.ts', 'model-config.ts', 'node/atomic-write.ts']);
