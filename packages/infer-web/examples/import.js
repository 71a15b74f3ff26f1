import { CharGenerator } from '@charrnn/infer-web';

// Vite emits onnxruntime-web's .wasm itself: there, leave wasmPaths out. A bundler that leaves
// them alone (esbuild) needs them in the site (`npx charrnn-web-files --runtime-only <site>/lib`,
// here at /lib/) and wasmPaths saying where.
const generator = await CharGenerator.load('/nietzsche-gru.onnx', { wasmPaths: '/lib/' });
const out = document.querySelector('#out');
for await (const chunk of generator.generate('the meaning of ', { maxNewTokens: 300, temperature: 0.8, seed: 1 })) {
  out.textContent += chunk;
}
