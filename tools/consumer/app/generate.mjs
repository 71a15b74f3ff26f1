// Generation from code in the consumer app (ESM): prints the text of a seeded run as JSON.
import { CharGenerator } from '@charrnn/infer-web/node';

const generator = await CharGenerator.load(process.argv[2], { backend: 'cpu', seed: 1 });
const text = await generator.generate('the ', { maxNewTokens: 60, temperature: 0.8 });
await generator.release();
process.stdout.write(JSON.stringify({ text }));
