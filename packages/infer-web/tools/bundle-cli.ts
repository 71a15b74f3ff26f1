#!/usr/bin/env node
// `nx run infer-web:bundle`: builds dist/browser/ and prints the sizes (JSON) of our code and of
// onnxruntime-web's files.
import { Command } from 'commander';
import { buildBrowserBundles, DEFAULT_OUT_DIR } from './bundle.js';

const program = new Command('infer-web:bundle')
  .description('Build the browser bundles of @charrnn/infer-web and copy onnxruntime-web\'s wasm beside them')
  .option('--out-dir <dir>', 'output directory', DEFAULT_OUT_DIR)
  .option('--no-measure-ort', "skip gzipping onnxruntime-web's 28 MB wasm for the size report")
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ outDir: string; measureOrt: boolean }>();

try {
  const report = await buildBrowserBundles({ outDir: flags.outDir, measureOrt: flags.measureOrt });
  console.log(JSON.stringify(report, null, 2));
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
