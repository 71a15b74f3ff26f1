import { CharGenerator } from '@charrnn/infer-web';

// A bundler copies onnxruntime-web's JavaScript but not its .wasm: copy that into your site
// (`npx charrnn-web-files --runtime-only <site>/lib`, here at /lib/) and say where it is.
const generator = await CharGenerator.load('/nietzsche-gru.onnx', { wasmPaths: '/lib/' });
const out = document.querySelector('#out');
for await (const chunk of generator.generate('the meaning of ', { maxNewTokens: 300, temperature: 0.8, seed: 1 })) {
  out.textContent += chunk;
}
