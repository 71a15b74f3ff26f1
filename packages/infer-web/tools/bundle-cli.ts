#!/usr/bin/env node
// `nx run infer-web:bundle`: builds dist/browser/, prints the sizes (JSON) of our code and of
// onnxruntime-web's files, and writes the README's size table from them.
import { Command } from 'commander';
import { join } from 'node:path';
import { buildBrowserBundles, DEFAULT_OUT_DIR, PACKAGE_ROOT } from './bundle.js';
import { measureJsepBuild, renderSizeTable, writeSizeTable } from './size-table.js';

const program = new Command('infer-web:bundle')
  .description("Build the browser bundles of @charrnn/infer-web, copy onnxruntime-web's builds beside them and write the README's size table")
  .option('--out-dir <dir>', 'output directory', DEFAULT_OUT_DIR)
  .option('--readme <file>', 'README whose size table is rewritten', join(PACKAGE_ROOT, 'README.md'))
  .option('--no-readme', 'leave the README alone')
  .option('--no-measure-ort', "skip gzipping onnxruntime-web's wasm files (then the README is not written)")
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ outDir: string; readme: string | false; measureOrt: boolean }>();

try {
  const report = await buildBrowserBundles({ outDir: flags.outDir, measureOrt: flags.measureOrt });
  console.log(JSON.stringify(report, null, 2));
  if (flags.readme !== false && flags.measureOrt) {
    await writeSizeTable(flags.readme, renderSizeTable(report, await measureJsepBuild()));
    console.log(`size table written to ${flags.readme}`);
  }
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
