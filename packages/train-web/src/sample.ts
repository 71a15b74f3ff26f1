/**
 * Text from a model while it trains: its contract-2 ONNX (built in the worker by
 * @charrnn/export/browser) run by infer-web's generator on the worker's own onnxruntime module,
 * on wasm (one character per run is per-call overhead, where WebGPU gains nothing).
 */
import { CoreCharGenerator, webRuntime } from '@charrnn/infer-web';
import type { OrtWebModule } from './ort-builds.js';

export interface SampleSettings {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
}

/** Moderate temperature: at 1 an early model is noise, at 0 it repeats one phrase. */
export const DEFAULT_SAMPLE: SampleSettings = Object.freeze({ prompt: '\n', maxNewTokens: 240, temperature: 0.7 });

export async function sampleText(ort: OrtWebModule, model: Uint8Array, seed: number, settings: SampleSettings = DEFAULT_SAMPLE): Promise<string> {
  const generator = await CoreCharGenerator.load(model, { runtime: webRuntime({ ort, backend: 'wasm', logger: { warn: () => {} } }) });
  try {
    return await generator.generate(settings.prompt, { maxNewTokens: settings.maxNewTokens, temperature: settings.temperature, seed });
  } finally {
    await generator.release();
  }
}
