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
    compress: {
      flag: '--compress',
      description: "also write each file's .br and .gz beside it, for a server that sends precompressed files (brotli_static, gzip_static, sirv)",
    },
  },
});
const [siteDir] = args as [string];
const runtimeOnly = options.runtimeOnly as boolean;
const compress = options.compress === true;

try {
  for (const { file, bytes, compressed } of await copyWebFiles(siteDir, { runtimeOnly, compress })) {
    process.stdout.write(`${file} (${bytes} bytes)\n`);
    for (const c of compressed ?? []) process.stdout.write(`${c.file} (${c.bytes} bytes, ${c.encoding})\n`);
  }
} catch (error) {
  if (!(error instanceof WebFilesError)) throw error;
  process.stderr.write(`charrnn-web-files: ${error.message}\n`);
  process.exitCode = 1;
}
