// The same run from CommonJS: require() of the ESM entry (Node ≥ 20.19 / 22.12 load it synchronously).
const { CharGenerator } = require('@charrnn/infer-web/node');

(async () => {
  const generator = await CharGenerator.load(process.argv[2], { backend: 'cpu', seed: 1 });
  const text = await generator.generate('the ', { maxNewTokens: 60, temperature: 0.8 });
  await generator.release();
  process.stdout.write(JSON.stringify({ text }));
})();
