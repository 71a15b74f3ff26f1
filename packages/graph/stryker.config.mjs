// nx run graph:mutate: mutation testing of the modules where a silent bug costs most.
import { strykerConfig } from '../../tools/stryker-config.mjs';

export default strykerConfig('graph', ['layout/weight-layout.ts']);
