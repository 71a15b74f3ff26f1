import { CharGenerator } from '@charrnn/infer-web';

// A bundler copies onnxruntime-web's JavaScript but not its .wasm: serve the files of
// node_modules/@charrnn/infer-web/dist/browser/ (here at /lib/) and say where they are.
const generator = await CharGenerator.load('/nietzsche-gru.onnx', { wasmPaths: '/lib/' });
const out = document.querySelector('#out');
for await (const chunk of generator.generate('the meaning of ', { maxNewTokens: 300, temperature: 0.8, seed: 1 })) {
  out.textContent += chunk;
}
