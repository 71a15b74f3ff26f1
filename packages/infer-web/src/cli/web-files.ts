#!/usr/bin/env node
// charrnn-web-files: parses flags, copies what a web page needs into a site folder (copyWebFiles), lists it.
import { copyWebFiles, WebFilesError } from '../web-files.js';
import { readCommandLine } from './command-line.js';

const { args, options } = readCommandLine({
  name: 'charrnn-web-files',
  description:
    'Copy into a site folder what a page needs to run @charrnn/infer-web: infer-web.js, the build for a <script type="module">, ' +
    "and the onnxruntime-web builds and WebAssembly runtimes it loads (from the installed onnxruntime-web)",
  arguments: [['site-dir', 'folder the page loads infer-web.js from (created if needed)']],
  options: {
    runtimeOnly: {
      flag: '--runtime-only',
      description: "only onnxruntime-web's .wasm runtimes and loaders (your bundler holds infer-web); then pass wasmPaths = this folder's URL",
    },
  },
});
const [siteDir] = args as [string];
const runtimeOnly = options.runtimeOnly as boolean;

try {
  for (const { file, bytes } of await copyWebFiles(siteDir, { runtimeOnly })) process.stdout.write(`${file} (${bytes} bytes)\n`);
} catch (error) {
  if (!(error instanceof WebFilesError)) throw error;
  process.stderr.write(`charrnn-web-files: ${error.message}\n`);
  process.exitCode = 1;
}
