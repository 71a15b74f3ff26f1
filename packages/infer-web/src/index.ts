/**
 * `@charrnn/infer-web`: the browser (and default) entry: the runtime-free core plus the
 * onnxruntime-web adapter. Imports nothing from node: or onnxruntime-node, so bundlers can take it
 * as is; Node users who want onnxruntime-node import `@charrnn/infer-web/node`.
 */
export * from './core/index.js';
export { CharGenerator, webRuntime, type WebBackend, type WebLoadOptions, type WebRuntimeOptions } from './web/runtime.js';
export type { OrtApi } from './core/ort-session.js';
export { cachedRuntime, clearDownloadCache, DEFAULT_CACHE_NAME, DownloadCache } from './web/download-cache.js';
export { ORT_SITE_FILES, ORT_WEB_BUILDS, type OrtWebBuild, type OrtWebBuildFiles, type OrtWebLoader, type OrtWebModule } from './web/ort-web-builds.js';
