/**
 * Entry of `infer-web.js`, the script-tag build: the browser builds' API and element, with
 * onnxruntime-web's builds and runtimes in the same folder (tools/bundle.ts puts them there), so
 * that the `cache` option can fetch and keep the runtime without being told where it is.
 */
import { locateRuntimesBeside } from './ort-web-builds.js';

locateRuntimesBeside(import.meta.url);

export * from './standalone.js';
